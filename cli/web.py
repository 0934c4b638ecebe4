"""``legisflow web``: the web application (the officials' workspace and the sign-in
service's API); ``legisflow portal``: the public portal. Both served by uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cli.common import CliError, app, connect, run, settings
from cli.output import say

if TYPE_CHECKING:
    from fastapi import FastAPI


@app.command()
def web() -> None:
    """Serve the web application on LEGISFLOW_WEB_HOST:LEGISFLOW_WEB_PORT (127.0.0.1:8080):
    the officials' workspace, and the sign-in service a production CLI uses
    (LEGISFLOW_SIGN_IN_URL). It alone holds the signing key (LEGISFLOW_SIGNING_KEY_FILE) and
    the accounts; put it behind TLS."""
    import uvicorn

    from web.app import create_app

    s = settings()
    run(connect(s))  # Temporal unreachable: said here, as every command says it
    say(("legisflow web", "bold"), f" on http://{s.web_host}:{s.web_port}")
    uvicorn.run(create_app(s), host=s.web_host, port=s.web_port, log_level="warning")


@app.command()
def portal() -> None:
    """Serve the public portal on LEGISFLOW_PORTAL_HOST:LEGISFLOW_PORTAL_PORT (127.0.0.1:8090):
    drafts open for comment, the comment form and the tracking page. It reads cases and
    writes citizens' comments to LEGISFLOW_DATABASE_URL (default: SQLite under the data
    dir); it holds no key and decides nothing on a case. LEGISFLOW_PORTAL_WORKERS processes
    serve it (1)."""
    import uvicorn

    from portal.app import create_portal
    from public_records.database import DatabaseError

    s = settings()
    run(connect(s))
    try:
        app_ = create_portal(s)
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    say(("legisflow portal", "bold"), f" on {s.portal_url}")
    # A request from the agency's proxy is counted against the citizen's address it forwards.
    proxies = s.portal_trusted_proxies
    if s.portal_workers == 1:
        uvicorn.run(
            app_, host=s.portal_host, port=s.portal_port, log_level="warning",
            proxy_headers=True, forwarded_allow_ips=proxies,
        )  # fmt: skip
        return
    # Several processes share the socket; each builds its own app (and its connections)
    # from the same environment. The schema exists by now: create_portal above made it.
    uvicorn.run(
        "cli.web:portal_app", factory=True, workers=s.portal_workers,
        host=s.portal_host, port=s.portal_port, log_level="warning",
        proxy_headers=True, forwarded_allow_ips=proxies,
    )  # fmt: skip


def portal_app() -> FastAPI:
    """The portal's app for each of `legisflow portal`'s worker processes."""
    from portal.app import create_portal

    return create_portal(settings())
