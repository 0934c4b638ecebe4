"""Benchmarks (run on demand, never collected by pytest); see bench/README.md."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def cancel_on_sigterm() -> None:
    """Call first thing in a benchmark's main coroutine: SIGTERM then cancels it as Ctrl-C
    does, so its ``finally`` blocks stop the dev server and workers it started instead of
    leaving them running, orphaned, loading the machine for whoever measures next."""
    task = asyncio.current_task()
    assert task is not None, "call from inside the running benchmark"
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def run_benchmark(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; when stopped (SIGTERM via ``cancel_on_sigterm``, or Ctrl-C)
    once its clean-up has run, say so and exit 143 rather than print a traceback."""
    try:
        return asyncio.run(main)
    except (asyncio.CancelledError, KeyboardInterrupt):
        print("stopped: the dev server and workers it started are shut down", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(143)  # sdk-python#300: leave without the SDK's exit-time abort


def report(result: Any, path: Path | None) -> None:
    """Print a benchmark's result as JSON, and write it to ``path`` (``--json``) if given."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
