"""A blocking request inside a synchronous activity is reported alive while it runs (issue
#8, P5): the short activities get a 10 s heartbeat timeout, and the network adapters'
requests may legitimately take longer than that."""

from __future__ import annotations

import asyncio
import threading

from temporalio.testing import ActivityEnvironment

from activities.delivery import heartbeating


def _tickers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "heartbeat"]


def test_heartbeats_while_a_blocking_call_runs_then_stops() -> None:
    beats: list[tuple[object, ...]] = []
    enough = threading.Event()

    def on_heartbeat(*details: object) -> None:
        beats.append(details)
        if len(beats) >= 3:
            enough.set()

    env = ActivityEnvironment()
    env.on_heartbeat = on_heartbeat

    def blocking_call() -> bool:
        with heartbeating(every=0.01):
            return enough.wait(timeout=10)  # the "request" ends once it was reported alive

    assert env.run(blocking_call)
    assert len(beats) >= 3
    assert not _tickers()  # the helper thread ended with the call


def test_no_ticker_outside_an_activity() -> None:
    with heartbeating(every=0.01):
        assert not _tickers()


def test_no_ticker_in_an_async_activity() -> None:
    beats: list[tuple[object, ...]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *d: beats.append(d)

    async def async_activity() -> int:
        with heartbeating(every=0.01):
            return len(_tickers())

    assert asyncio.run(env.run(async_activity)) == 0
    assert beats == []
