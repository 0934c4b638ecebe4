"""A case that checks signatures, for the signing tests: a provincial decision under the
simplified procedure, pinning the demo CA's root, taken to a stage."""

from __future__ import annotations

from client.cases import start_case
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import SimplifiedDecision
from models.registry import Registry
from models.starting import StartRequest
from signatures.certificates import pem
from signatures.demo_signers import DemoSigners
from tests.conftest import Harness
from tests.workflows.after_issuance import DRAFTER, SIGNER

TITLE = "Quyết định ban hành Quy định về quản lý chợ truyền thống"


async def pinning_case(
    harness: Harness,
    registry: Registry,
    directory: Directory,
    signers: DemoSigners,
    slug: str,
    *,
    target: str = "signing",
    title: str | None = None,
) -> str:
    """The case's id, at ``target``; the steps before it that ask a signature (the
    appraisal report's signed approval) signed with the demo keys of ``signers``."""
    definition = registry.get("qd_ubnd_tinh")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition, title=title or f"{TITLE} ({slug})", starter=DRAFTER,
            slug=slug, legal_day_seconds=60.0,  # no deadline passes while a test runs
            simplified=SimplifiedDecision(decided_by=SIGNER, reason="Thử ký số (test)"),
            signature_roots=(pem(signers.ca.root).decode(),),
        ),
        task_queue=harness.settings.task_queue,
    )  # fmt: skip
    await walk(harness.client, handle.id, definition, harness.store, target=target, signing=signers)
    return handle.id
