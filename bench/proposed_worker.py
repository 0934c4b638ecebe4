"""``legisflow worker`` with a what-if applied at run time, measured beside the real one in
the same rounds (``python -m bench.lifecycle --with-proposed``), so a change's effect can be
seen before, or after, anyone edits the real code.

Now: the runner as it was before P8 (bench/README.md), the sandbox answering every payload
context, so P8's gain can be measured again on any machine. Earlier what-ifs (P1: caching the
directory and the rules, libyaml) are in the product since.

Nothing here is imported by the product; it patches the modules of this process only.
"""

from __future__ import annotations

import worker
from worker_runtime import runner


def apply() -> None:
    setattr(runner, "contexts_matter", lambda converter: True)  # noqa: B010 - a what-if


if __name__ == "__main__":
    apply()
    worker.main()
