"""Operations helpers (client side; not workflow code): registering search attributes on a
cluster, and gathering audit trails for KPI reports."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from models.audit import export_lines
from models.kpi import CaseTrail
from workflows import search_attributes as sa
from workflows.drafting.legislative_process import LegislativeProcess

_KINDS = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


#: How long Temporal keeps a closed case's history in a namespace legisflow creates (the
#: decision trail is also exported to the document store when a case ends).
RETENTION = timedelta(days=30)


async def ensure_namespace(
    client: Client, namespace: str, retention: timedelta = RETENTION
) -> bool:
    """Register ``namespace`` (a province's or a ministry's, say) if Temporal does not know
    it; True if it was registered now."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        return False
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace,
            workflow_execution_retention_period=Duration(seconds=int(retention.total_seconds())),
        )
    )
    return True


#: How long a namespace just registered may take to be served (the server's namespace
#: cache refreshes every few seconds).
NAMESPACE_WAIT = timedelta(seconds=60)


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the search attributes the namespace lacks; returns the names added. A namespace
    registered a moment ago is waited for (up to ``NAMESPACE_WAIT``)."""
    ops = client.operator_service
    request = ListSearchAttributesRequest(namespace=namespace)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + NAMESPACE_WAIT.total_seconds()
    while True:
        try:
            have = await ops.list_search_attributes(request)
            break
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND or loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)
    missing = {
        key.name: _KINDS[key.indexed_value_type.name]
        for key in sa.ALL
        if key.name not in have.custom_attributes
    }
    if missing:
        await ops.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )
    return sorted(missing)


async def case_trails(
    client: Client,
    *,
    agency: str | None,
    until: datetime,
    limit: int = 5000,
    task_queue: str | None = None,
) -> list[CaseTrail]:
    """The audit trail of every case started before ``until`` (a worker answers queries on
    closed cases by replaying them); on ``task_queue`` only, if given. A case no worker
    answers for (its task queue has none any more) is left out, not a failure of the rest."""
    query = f"WorkflowType = 'LegislativeProcess' AND StartTime < '{until.isoformat()}'"
    for name, value in (("DraftingAgency", agency), ("TaskQueue", task_queue)):
        if value is not None:
            if "'" in value:
                raise ValueError(f"invalid {name} {value!r}")
            query += f" AND {name} = '{value}'"
    trails = []
    async for wf in client.list_workflows(query, limit=limit):
        handle = client.get_workflow_handle(wf.id, run_id=wf.run_id)
        try:
            status = await handle.query(LegislativeProcess.status)
            audit = await handle.query(LegislativeProcess.audit)
        except (RPCError, WorkflowQueryFailedError):
            continue
        trails.append(CaseTrail(wf.id, status.drafting_agency, status.legal_day_seconds, audit))
    return trails


async def audit_lines(client: Client, case_id: str) -> list[str]:
    """The case's decision trail as hash-chained JSON lines (``legisflow audit``)."""
    entries = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    return export_lines(case_id, entries)
