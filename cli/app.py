"""The ``legisflow`` console script: the app with every kind of user's commands, and one clear
line (and exit status) for every error, never a traceback."""

from __future__ import annotations

import os
import sys

from cli.common import EXIT_REFUSED, CliError, app
from cli.output import err, line, one_line

# Registering the commands: each module adds its own to the app, in the order --help lists
# them (the kinds of user, the most common first).
# isort: off
from cli import identity, drafting, consultation, after_issuance, calendar  # noqa: F401
from cli import ops, local, web, signatures  # noqa: F401
# isort: on


def main() -> None:
    """Console entry point: one clear line per error, and a clean exit (sdk-python#300)."""
    # What the command writes (documents, sessions, the dev server's data, a demo's outbox)
    # is readable by its owner only: drafts, comments and accounts are not for other users.
    os.umask(0o077)
    code = 0
    try:
        app()
    except SystemExit as exc:  # typer's own exit: usage errors, --help, normal end
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        code = _report(exc)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _report(exc: Exception) -> int:
    """Print ``exc`` as one line on stderr; the exit status it deserves."""
    from client.errors import CaseActionRefused, CaseError

    if isinstance(exc, CaseActionRefused):
        err.print(line(("refused", "red"), f" ({exc.code}): {one_line(exc)}"))
        return EXIT_REFUSED
    from identity.accounts import SignInRefused
    from identity.sessions import NotSignedIn

    if isinstance(exc, CliError | CaseError | ValueError | NotSignedIn | SignInRefused):
        # ValueError: a bad setting, definition, directory or rules file, a field out of
        # its bounds (pydantic), each said field by field.
        err.print(line(("error:", "red"), f" {one_line(exc)}"))
        return 1
    from activities.ports import StoreError

    if isinstance(exc, StoreError):
        # e.g. `act --file` while S3 is unreachable: nothing was sent to the case.
        what = f" document store: {one_line(exc)}; nothing was sent to the case"
        err.print(line(("error:", "red"), what))
        return 1
    if os.environ.get("LEGISFLOW_TRACEBACK"):
        raise exc
    err.print(
        line(
            ("error:", "red"),
            f" {type(exc).__name__}: {one_line(exc)} (LEGISFLOW_TRACEBACK=1 shows where)",
        )
    )
    return 1
