"""Limits on what one address may send (chống gửi hàng loạt): at most ``per_window``
submissions within ``window`` seconds from one network address. Kept in the portal
process's memory: a restart only forgets recent counts."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request


class TooMany(Exception):
    """Refused without looking at the submission; the message says when to try again."""


@dataclass
class AddressLimits:
    per_window: int = 20
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def take(self, address: str) -> None:
        """Count one submission from ``address``, or raise TooMany."""
        now = self.clock()
        seen = self._seen[address]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.per_window:
            wait = max(1, math.ceil(seen[0] + self.window - now))
            raise TooMany(
                f"Địa chỉ của bạn đã gửi quá {self.per_window} ý kiến trong {self.window:.0f} "
                f"giây; hãy thử lại sau {wait} giây."
            )
        seen.append(now)
        if len(self._seen) > 100_000:  # bound the memory a flood of addresses can take
            for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - self.window]:
                del self._seen[key]


def client_address(request: Request) -> str:
    """The address a submission is counted against: the connection's peer (a proxy in front
    of the portal is one address; ``X-Forwarded-For`` is not read, see docs/portal.md)."""
    return request.client.host if request.client else "unknown"
