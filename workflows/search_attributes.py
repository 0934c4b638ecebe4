"""Custom search attributes (thuộc tính tìm kiếm) ops filter cases by.

No personal data here: search attributes are stored unencrypted. Agencies, stages, types
and regimes are public facts about a procedure, not about a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)

if TYPE_CHECKING:
    from models.starting import CaseOpening

LEGAL_STAGE = SearchAttributeKey.for_keyword("LegalStage")
DOCUMENT_TYPE = SearchAttributeKey.for_keyword("DocumentType")
DRAFTING_AGENCY = SearchAttributeKey.for_keyword("DraftingAgency")
LEGAL_REGIME = SearchAttributeKey.for_keyword("LegalRegime")
STAGE_DUE_AT = SearchAttributeKey.for_datetime("StageDueAt")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
#: ``role@agency`` of who may act now (``models/awaiting.py``): roles and agencies, never
#: people; the inbox's query.
AWAITING_ROLES = SearchAttributeKey.for_keyword_list("AwaitingRoles")

ALL = (
    LEGAL_STAGE,
    DOCUMENT_TYPE,
    DRAFTING_AGENCY,
    LEGAL_REGIME,
    STAGE_DUE_AT,
    OVERDUE,
    AWAITING_ROLES,
)
BY_NAME: Mapping[str, SearchAttributeKey[Any]] = MappingProxyType({key.name: key for key in ALL})


def typed(values: Mapping[str, str | bool | datetime | list[str]]) -> TypedSearchAttributes:
    """Search attributes given by name (as ``models`` gives them, without Temporal's types),
    for starting a workflow; an unknown name is a KeyError."""
    return TypedSearchAttributes([SearchAttributePair(BY_NAME[k], v) for k, v in values.items()])


def dev_server_flags() -> list[str]:
    """``--search-attribute Name=Type`` flags for ``temporal server start-dev``."""
    kinds = {
        "KEYWORD": "Keyword",
        "DATETIME": "Datetime",
        "BOOL": "Bool",
        "KEYWORD_LIST": "KeywordList",
    }
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags


def upsert_stage(stage: str, *, overdue: bool, due: datetime | None) -> None:
    """In workflow code: the running workflow's LegalStage, Overdue and StageDueAt."""
    workflow.upsert_search_attributes(
        [
            LEGAL_STAGE.value_set(stage),
            OVERDUE.value_set(overdue),
            STAGE_DUE_AT.value_set(due) if due else STAGE_DUE_AT.value_unset(),
        ]
    )


def start_options(opening: CaseOpening) -> dict[str, Any]:
    """How a drafting case starts: its id (a second start is refused, not duplicated) and how
    it shows itself to ops from its first moment (search attributes, memo, summary, details).
    The client API and the activity that starts an amendment's case both start it so."""
    return {
        "id": opening.case_id,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "search_attributes": typed(opening.search_attributes),
        "memo": opening.memo,
        "static_summary": opening.summary,
        "static_details": opening.details,
    }
