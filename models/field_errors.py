"""A data file's validation error as ``field: problem`` items, one shape for every data file
(the procedures, the rules after issuance, the official calendar)."""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(err: ValidationError, prefix: str = "") -> str:
    """A validation error as ``field: problem`` items, the field's whole path from ``prefix``
    (the same shape for every data file: definitions, the rules after issuance)."""
    parts: list[str] = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        loc = ".".join(str(p) for p in (prefix, *e["loc"]) if p != "")
        if e["type"] == "value_error":
            # A model's own checks report several "field: problem" items at once.
            parts.extend(f"{loc}.{problem}" if loc else problem for problem in msg.split("; "))
        else:
            parts.append(f"{loc}: {msg}")
    return "; ".join(parts)
