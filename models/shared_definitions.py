"""One copy of each procedure in a worker, however many cases run under it (issue #21:
memory per open case).

Every case carries its whole procedure in its input, so that its history records the rules
it runs under (``CaseInput.definition``). Decoded as is, each of 1,000 open cases held its
own copy of the same definition and its own state machine built from it. Here a decoded
definition is swapped for the first one with the same content (its SHA-256 over the
canonical JSON), and the machine is built once per content: the same data in, the same
answers out, whichever case asks, so sharing changes nothing a workflow can observe and
replay stays deterministic. Definitions are frozen (``_Frozen``): no case can change the
shared copy.

This module is passed through Temporal's sandbox (``models`` is imported under
``imports_passed_through``), so its table is one per worker process, not one per workflow
run.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from models.definition import ProcessDefinition
from models.machine import ProcessMachine

#: Distinct definitions kept (each shipped type × regime, and migrated variants): beyond it
#: the least recently used is forgotten, and a case holding it keeps its own copy alive.
MAX_KEPT = 256


@dataclass
class _Shared:
    definition: ProcessDefinition
    machine: ProcessMachine | None = None


_lock = threading.Lock()
_table: OrderedDict[str, _Shared] = OrderedDict()
#: The same entries by the identity of their shared definition: a case's workflow asks for the
#: machine of the copy its input already holds, which needs no second digest.
_by_identity: dict[int, _Shared] = {}


def digest(definition: ProcessDefinition) -> str:
    return hashlib.sha256(definition.model_dump_json().encode()).hexdigest()


def _shared(definition: ProcessDefinition) -> _Shared:
    with _lock:
        entry = _by_identity.get(id(definition))
        if entry is not None and entry.definition is definition:
            return entry
    key = digest(definition)
    with _lock:
        entry = _table.get(key)
        if entry is None:
            entry = _table[key] = _Shared(definition)
            _by_identity[id(definition)] = entry
            while len(_table) > MAX_KEPT:
                _, gone = _table.popitem(last=False)
                _by_identity.pop(id(gone.definition), None)
        else:
            _table.move_to_end(key)
        return entry


def shared_definition(definition: ProcessDefinition) -> ProcessDefinition:
    """The worker's copy of a definition with the same content as ``definition``."""
    return _shared(definition).definition


def shared_machine(definition: ProcessDefinition) -> ProcessMachine:
    """The worker's state machine for a definition with this content."""
    entry = _shared(definition)
    with _lock:
        if entry.machine is None:
            entry.machine = ProcessMachine(entry.definition)
        return entry.machine
