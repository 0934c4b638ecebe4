"""The JSON API an agency's own system integrates with: described by OpenAPI, signed in with
the same accounts, the same checks as the pages (a refusal is 409 with the rules' code and
changes nothing, an outsider gets 404, no token gets 401)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx

from client.cases import start_case, status
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.web.browser import web_app, workspace_settings
from tests.web.test_workspace import DRAFTER, OUTSIDER, PASSWORD

WAIT = 120.0


async def _token(http: httpx.AsyncClient, person: str) -> dict[str, str]:
    signed = await http.post("/api/sign-in/sessions", json={"person": person, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    token = base64.urlsafe_b64encode(signed.content).decode()
    return {"Authorization": f"Bearer {token}"}


async def test_an_agency_system_reads_and_acts_through_the_json_api(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về chiếu sáng đô thị (API)",
            starter="nguyen.van.an",
            slug="json-api",
        ),
        task_queue=harness.settings.task_queue,
    )
    accounts = tmp_path / "accounts.json"
    for who in (DRAFTER, OUTSIDER):
        AccountStore(accounts).create(who, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        spec = (await http.get("/api/openapi.json")).json()
        assert {"/api/v1/inbox", "/api/v1/actions/{case_id}", "/api/sign-in/sessions"} <= set(
            spec["paths"]
        )
        assert not any(p.startswith("/ho-so") for p in spec["paths"])  # pages are not API

        assert (await http.get("/api/v1/inbox")).status_code == 401
        me = await _token(http, DRAFTER)
        inbox = (await http.get("/api/v1/inbox", headers=me)).json()
        assert handle.id in [i["case_id"] for i in inbox["mine"]]
        case = (await http.get(f"/api/v1/cases/{handle.id}", headers=me)).json()
        assert case["stage"] == "drafting"

        uploaded = await http.post(
            "/api/v1/documents",
            headers=me,
            files={"file": ("du-thao.md", "Điều 1. Phạm vi".encode(), "text/markdown")},
        )
        assert uploaded.status_code == 200, uploaded.text
        order = {"action": "open_consultation", "document": uploaded.json()}
        refused = await http.post(f"/api/v1/actions/{handle.id}", headers=me, json=order)
        assert refused.status_code == 409
        assert refused.json()["code"] == "interest_not_declared"
        assert (await status(harness.client, handle.id)).stage == "drafting"

        done = await http.post(
            f"/api/v1/actions/{handle.id}", headers=me, json=order | {"declare_no_interest": True}
        )
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == "consultation"

        bad = await http.post(
            "/api/v1/documents", headers=me, files={"file": ("x.exe", b"MZ", "application/x")}
        )
        assert bad.status_code == 422
        assert "chỉ nhận" in bad.json()["detail"]

        outsider = await _token(http, OUTSIDER)
        assert (await http.get(f"/api/v1/cases/{handle.id}", headers=outsider)).status_code == 404
        forged = {"Authorization": "Bearer " + base64.urlsafe_b64encode(b'{"person":"x"}').decode()}
        assert (await http.get("/api/v1/inbox", headers=forged)).status_code == 401

        # Guessing passwords: after five failures the account is refused, even the right one.
        for _ in range(5):
            wrong = {"person": OUTSIDER, "password": "doan-mo-1234"}
            assert (await http.post("/api/sign-in/sessions", json=wrong)).status_code == 401
        right = {"person": OUTSIDER, "password": PASSWORD}
        locked = await http.post("/api/sign-in/sessions", json=right)
        assert locked.status_code == 429
        assert "thử lại sau" in locked.json()["detail"]
