"""A limit on failed sign-ins (chống dò mật khẩu): after ``FAILURES`` failed attempts for one
account or from one address within ``WINDOW``, further attempts are refused until the oldest
failure leaves the window. Kept in the web process's memory: a restart forgets it, which only
gives an attacker a new window, never a way in."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

FAILURES = 5
WINDOW = 15 * 60.0


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password; the message says for how long."""


@dataclass
class SignInLimits:
    failures: int = FAILURES
    window: float = WINDOW
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, key: str) -> deque[float]:
        seen = self._seen[key]
        while seen and seen[0] <= self.clock() - self.window:
            seen.popleft()
        return seen

    def check(self, account: str, address: str) -> None:
        for key in (f"account:{account}", f"address:{address}"):
            seen = self._recent(key)
            if len(seen) >= self.failures:
                wait = math.ceil((seen[0] + self.window - self.clock()) / 60)
                raise TooManyAttempts(
                    f"Đăng nhập sai quá {self.failures} lần; hãy thử lại sau {wait} phút. / "
                    f"Too many failed sign-ins; try again in {wait} minutes."
                )

    def failed(self, account: str, address: str) -> None:
        for key in (f"account:{account}", f"address:{address}"):
            self._recent(key).append(self.clock())

    def succeeded(self, account: str) -> None:
        self._seen.pop(f"account:{account}", None)
