"""Operations helpers (client side; not workflow code): registering search attributes on a
cluster, gathering audit trails for KPI reports, and moving a pinned case to another build
of the workers (``legisflow upgrade``; docs/deploy.md, "Releasing new code")."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.deployment.v1 import WorkerDeploymentVersion
from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflow.v1 import VersioningOverride, WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeWorkerDeploymentRequest,
    DescribeWorkerDeploymentVersionRequest,
    RegisterNamespaceRequest,
    UpdateWorkflowExecutionOptionsRequest,
)
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from client.cases import running_children
from client.errors import CaseError
from client.updates import send_update
from models.audit import export_lines
from models.kpi import CaseTrail
from models.versioning import VersionMove
from workflows import search_attributes as sa
from workflows.drafting.legislative_process import LegislativeProcess
from workflows.version_moves import RECORD_VERSION_MOVE

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


# ---- builds of the workers (Worker Deployment Versioning) -----------------------------------

#: The pinned workflows an operator moves to another build, each recording the decision in
#: its trail (``workflows/version_moves.py``).
MOVABLE = frozenset({"LegislativeProcess", "FeedbackCase", "LegalityCheck"})
#: A drafting case's own workflows: they move with their case.
MOVED_WITH_CASE = frozenset({"ConsultationRequest", "CommentLedger"})


@dataclass(frozen=True)
class Placement:
    """Where a workflow runs: its type, status and task queue, and the worker deployment
    version it is on (an override's, if it has one); no deployment when unversioned."""

    workflow_id: str
    workflow_type: str
    status: WorkflowExecutionStatus | None
    task_queue: str
    deployment: str
    build_id: str
    overridden: bool


async def placement(client: Client, workflow_id: str) -> Placement:
    """Where ``workflow_id``'s latest run runs (CaseError if there is no such workflow)."""
    try:
        desc = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"no workflow {workflow_id!r}; see `legisflow list`") from None
        raise
    info = desc.raw_description.workflow_execution_info.versioning_info
    version = info.deployment_version
    overridden = info.HasField("versioning_override") and info.versioning_override.HasField(
        "pinned"
    )
    if overridden:
        version = info.versioning_override.pinned.version
    return Placement(
        workflow_id=workflow_id,
        workflow_type=desc.workflow_type,
        status=desc.status,
        task_queue=desc.task_queue,
        deployment=version.deployment_name,
        build_id=version.build_id,
        overridden=overridden,
    )


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the case and the children moved with it, from and to which build."""

    case_id: str
    deployment: str
    from_build: str
    to_build: str
    children: list[str] = field(default_factory=list)


async def upgrade(
    client: Client, case_id: str, *, build_id: str, operator: str, reason: str
) -> Upgrade:
    """Move the pinned case ``case_id`` (a drafting case, a feedback case, a check) to build
    ``build_id`` of the deployment it runs on, with the drafting case's consultation requests
    and comment ledger still on its build. The case first records who moves it and why (its
    validator refuses anyone but its operators, with nothing written); then each workflow
    gets a pinned versioning override to the new build, and its next task runs there."""
    here = await placement(client, case_id)
    if here.status is not WorkflowExecutionStatus.RUNNING:
        status = here.status.name.lower() if here.status else "unknown"
        raise CaseError(f"{case_id} is not running ({status}): nothing to move")
    if here.workflow_type in MOVED_WITH_CASE:
        raise CaseError(f"{case_id} is a {here.workflow_type}: it moves with its case")
    if here.workflow_type == "DocumentMonitoring":
        raise CaseError(
            f"{case_id} is a document's monitoring: it moves to the deployment's current "
            "build by itself, at its next continue-as-new (docs/deploy.md)"
        )
    if here.workflow_type not in MOVABLE:
        raise CaseError(f"{case_id} is a {here.workflow_type}: legisflow does not move it")
    if not here.deployment:
        raise CaseError(
            f"{case_id} does not run on versioned workers (LEGISFLOW_BUILD_ID unset when it "
            "last ran): there is no build to move it from"
        )
    if here.build_id == build_id:
        raise CaseError(f"{case_id} already runs on build {build_id} of {here.deployment}")
    await _check_build(client, here.deployment, build_id, here.task_queue)
    children = []
    if here.workflow_type == "LegislativeProcess":
        for child_id in await running_children(client, case_id):
            child = await placement(client, child_id)
            same = (child.deployment, child.build_id) == (here.deployment, here.build_id)
            if child.workflow_type in MOVED_WITH_CASE and same:
                children.append(child_id)
    decision = VersionMove(
        operator=operator,
        deployment=here.deployment,
        from_build=here.build_id,
        to_build=build_id,
        reason=reason,
        children=children,
    )
    await send_update(
        client.get_workflow_handle(case_id),
        RECORD_VERSION_MOVE,
        decision,
        missing=f"no case {case_id!r}; see `legisflow list`",
    )
    for workflow_id in [case_id, *children]:
        try:
            await pin(client, workflow_id, here.deployment, build_id)
        except RPCError as err:
            raise CaseError(
                f"{case_id}: the move to {build_id} is recorded in its trail, but Temporal "
                f"did not move {workflow_id}: {err.message}; run `legisflow upgrade` again "
                "once the cause is fixed"
            ) from None
    return Upgrade(case_id, here.deployment, here.build_id, build_id, children)


async def _check_build(client: Client, deployment: str, build_id: str, task_queue: str) -> None:
    """CaseError unless ``build_id`` is a version of ``deployment`` whose workers poll the
    case's task queue (else its tasks would wait for a worker that never comes)."""
    try:
        desc = await client.workflow_service.describe_worker_deployment_version(
            DescribeWorkerDeploymentVersionRequest(
                namespace=client.namespace,
                deployment_version=WorkerDeploymentVersion(
                    deployment_name=deployment, build_id=build_id
                ),
            )
        )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        known = await builds(client, deployment)
        raise CaseError(
            f"unknown build {build_id!r} of deployment {deployment!r}; its builds: "
            f"{', '.join(known) or 'none'}"
        ) from None
    polled = {
        q.name for q in desc.version_task_queues if q.type == TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
    }
    if task_queue not in polled:
        raise CaseError(
            f"build {build_id} of {deployment} has no workers on task queue {task_queue!r} "
            "(start them first: docs/deploy.md)"
        )


async def builds(client: Client, deployment: str) -> list[str]:
    """The build ids of ``deployment``'s versions the server knows."""
    try:
        desc = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
    return sorted(
        v.deployment_version.build_id for v in desc.worker_deployment_info.version_summaries
    )


async def pin(client: Client, workflow_id: str, deployment: str, build_id: str) -> None:
    """Give ``workflow_id`` a pinned versioning override to ``deployment``'s ``build_id``
    (Temporal's UpdateWorkflowExecutionOptions; the SDK's client has no call for it). It
    carries over continue-as-new, so a comment ledger stays on the build too."""
    override = VersioningOverride(
        pinned=VersioningOverride.PinnedOverride(
            behavior=VersioningOverride.PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED,
            version=WorkerDeploymentVersion(deployment_name=deployment, build_id=build_id),
        )
    )
    await client.workflow_service.update_workflow_execution_options(
        UpdateWorkflowExecutionOptionsRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            workflow_execution_options=WorkflowExecutionOptions(versioning_override=override),
            update_mask=FieldMask(paths=["versioning_override"]),
            identity=client.identity,
        )
    )


async def running_on(client: Client, deployment: str, build_id: str) -> list[tuple[str, str]]:
    """(workflow id, type) of every running workflow on ``deployment``'s ``build_id``: what
    must end or move before that build's workers stop (docs/deploy.md)."""
    for name, value in (("deployment", deployment), ("build id", build_id)):
        if "'" in value:
            raise ValueError(f"invalid {name} {value!r}")
    query = (
        f"TemporalWorkerDeploymentVersion = '{deployment}:{build_id}' "
        "AND ExecutionStatus = 'Running'"
    )
    return [(w.id, w.workflow_type) async for w in client.list_workflows(query)]
