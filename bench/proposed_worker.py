"""``legisflow worker`` with the changes bench/README.md proposes, applied at run time, so
their effect can be measured before anyone edits the real code.

    .venv/bin/python -m bench.lifecycle --with-proposed

Proposed (see bench/README.md, "Where the time goes"):

1. ``activities/post_issuance.py``: read the directory and the post-issuance rules once per
   file version (keyed by path, mtime and size) instead of parsing the YAML on every call; a
   monitoring that runs for years still sees the directory change.
2. ``models/actors.py``/``models/post_issuance.py``: parse with libyaml's ``CSafeLoader``
   when PyYAML has it (actors.yaml: 17 ms → 3 ms a parse).

Nothing here is imported by the product; it monkeypatches the modules of this process only.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

import activities.post_issuance as post_issuance
import worker
from models.actors import Directory, load_directory
from models.post_issuance import PostIssuanceRules, load_rules


def _fast_yaml() -> None:
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return

    def safe_load(stream: Any) -> Any:
        return yaml.load(stream, Loader=loader)  # CSafeLoader: the safe loader, in C

    yaml.safe_load = safe_load


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _directory_at(stamp: tuple[str, int, int]) -> Directory:
    return load_directory(Path(stamp[0]))


@functools.lru_cache(maxsize=8)
def _rules_at(stamp: tuple[str, int, int]) -> PostIssuanceRules:
    return load_rules(Path(stamp[0]))


def _cached_directory(self: post_issuance.PostIssuanceActivities) -> Directory:
    from models.actors import DIRECTORY_FILE

    return _directory_at(_stamp(self.directory_file or DIRECTORY_FILE))


def _cached_rules(path: Path | None = None) -> PostIssuanceRules:
    from models.post_issuance import RULES_FILE, RULES_FILE_VARIABLE

    env = os.environ.get(RULES_FILE_VARIABLE)
    return _rules_at(_stamp(path or (Path(env) if env else RULES_FILE)))


def apply() -> None:
    _fast_yaml()
    post_issuance.PostIssuanceActivities._directory = _cached_directory  # type: ignore[method-assign]
    setattr(post_issuance, "load_rules", _cached_rules)  # noqa: B010 - not re-exported there


if __name__ == "__main__":
    apply()
    worker.main()
