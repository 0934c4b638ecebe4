"""Reading from a workflow history which effects an activity meant, and which of them it did.

A case's stage entry asks the store, the notifier and the publisher for its effects in one
``carry_out_effects`` activity; the consultation requests, monitoring, feedback cases and
checks send each notice in its own ``send_notification``. The checks that count intents
against deliveries read both through here.
"""

from __future__ import annotations

from typing import TypeVar

from temporalio.api.history.v1 import (
    ActivityTaskCompletedEventAttributes,
    ActivityTaskScheduledEventAttributes,
)
from temporalio.client import Client

from models.deliveries import EffectBatch, EffectOutcome, Notification, Publication
from models.documents import DocumentVersion

BATCH_ACTIVITY = "carry_out_effects"
#: The activity that carries out one effect of a kind on its own (notices only, today).
SINGLE_ACTIVITY: dict[type, str] = {Notification: "send_notification"}

E = TypeVar("E", DocumentVersion, Notification, Publication)


async def intended(
    client: Client, scheduled: ActivityTaskScheduledEventAttributes, kind: type[E]
) -> list[tuple[int | None, E]]:
    """The effects of ``kind`` the scheduled activity means, each with its index in the
    batch (None for a single-effect activity); [] for any other activity."""
    name = scheduled.activity_type.name
    if name == SINGLE_ACTIVITY.get(kind):
        [value] = await client.data_converter.decode(scheduled.input.payloads, [kind])
        return [(None, value)]
    if name == BATCH_ACTIVITY:
        [batch] = await client.data_converter.decode(scheduled.input.payloads, [EffectBatch])
        assert isinstance(batch, EffectBatch)
        return [
            (i, item.effect) for i, item in enumerate(batch.items) if isinstance(item.effect, kind)
        ]
    return []


async def item_errors(
    client: Client, completed: ActivityTaskCompletedEventAttributes
) -> list[str | None]:
    """Per item of a completed ``carry_out_effects``: why it was not done, or None."""
    [outcomes] = await client.data_converter.decode(
        completed.result.payloads, [list[EffectOutcome]]
    )
    return [o.error for o in outcomes]
