"""What the command prints, and how: user text always as text.

Titles, notes, names and ids come from people (and from the public); printed through Rich's
markup they could break the output for everyone who views the case (``[/]``), render as
links (``[link=…]``) or send escape sequences to the terminal. So the consoles here never
parse markup, every value passes through :func:`safe`, and emphasis is given as styles.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Off a terminal (pipes, CI logs) tables get room instead of the 80-column default.
out = Console(
    soft_wrap=True, width=None if sys.stdout.isatty() else 200, markup=False, highlight=False
)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

#: Control characters (C0 but tab and newline, DEL, C1): escape sequences among them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

Part = str | tuple[str, str]


def safe(value: object) -> str:
    """``value`` as printable text: control characters removed."""
    return _CONTROL.sub("", str(value))


def line(*parts: Part) -> Text:
    """A line of text from plain parts and ``(text, style)`` parts, each made safe."""
    return Text.assemble(*((safe(p[0]), p[1]) if isinstance(p, tuple) else safe(p) for p in parts))


def say(*parts: Part) -> None:
    out.print(line(*parts))


def table(*columns: str, title: str | None = None, caption: str | None = None) -> Table:
    return Table(*columns, title=title, caption=safe(caption) if caption else None)


def row(t: Table, cells: Iterable[object]) -> None:
    t.add_row(*(Text(safe(c)) for c in cells))


def print_json(value: object) -> None:
    """JSON for scripts, on stdout (control characters are escaped by JSON itself)."""
    print(json.dumps(value, ensure_ascii=False, indent=2))


def one_line(exc: BaseException) -> str:
    """An error as one line: a validation error field by field, any other its message with
    its whitespace folded."""
    from pydantic import ValidationError

    from settings import describe

    if isinstance(exc, ValidationError):
        return describe(exc)
    return " ".join(str(exc).split())
