"""``legisflow web``: the web application (the officials' workspace and the sign-in
service's API), served by uvicorn."""

from __future__ import annotations

from cli.common import app, connect, run, settings
from cli.output import say


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
