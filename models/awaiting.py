"""Who a case waits for, as a search attribute can say it without naming anyone
(``AwaitingRoles``): each role that may act in the current stage, with the agency of each of
its holders — ``appraiser@stp-daklak`` — and each body asked for its written opinion there.
The inbox asks Temporal's visibility for the cases awaiting the person's roles in their
agency, then asks only those cases what exactly the person may do (guards, four eyes,
recusals, delegations are the case's to say)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models.actors import ActorRef
from models.definition import ProcessDefinition

#: Cases started since the inbox reads ``AwaitingRoles`` keep it current at each stage entry
#: and reassignment; older cases never had it (the inbox asks them one by one).
AWAITING_ROLES_PATCH = "awaiting-roles-search-attribute"


def role_at(role: str, agency: str) -> str:
    return f"{role}@{agency}"


def awaiting_roles(
    definition: ProcessDefinition,
    stage: str,
    simplified: bool,
    assignments: Mapping[str, Sequence[ActorRef]],
    also: Sequence[str] = (),
) -> list[str]:
    """``role@agency`` for every role that may act (or give an opinion) in ``stage``, and
    for the roles in ``also`` (an authority whose direction an open issue awaits)."""
    if stage in definition.final:
        return []
    roles = {t.role for t in definition.transitions_from(stage, simplified) if not t.automatic}
    roles.update(also)
    roles.update(c.role for c in definition.stages[stage].consults)
    return sorted({role_at(r, a.agency) for r in roles for a in assignments.get(r, [])})
