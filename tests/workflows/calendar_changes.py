"""Helpers of the tests where running cases follow a calendar change: a calendar with one
more day off, and the timers a workflow's history shows firing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client

from models.calendar import LegalCalendar
from models.official_calendar import CalendarDay, DayKind, OfficialCalendar


def with_day_off(official: OfficialCalendar, day: date, source: str) -> OfficialCalendar:
    """``official`` with ``day`` announced off. A projected year becomes announced: its days
    as projected are kept, so only ``day`` changes."""
    calendar = LegalCalendar(official=official)
    first, after = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    year = tuple(
        e
        for n in range((after - first).days)
        if (e := calendar.entry(first + timedelta(days=n))) is not None
    )
    off = CalendarDay(
        day=day, kind=DayKind.HOLIDAY, name="Nghỉ đột xuất (thử nghiệm)", source=source,
        confirmed=True,
    )  # fmt: skip
    return official.model_copy(update={"years": {**official.years, day.year: (*year, off)}})


async def fired_timers(client: Client, workflow_id: str) -> dict[str, list[datetime]]:
    """The timers that fired in a workflow's history, by their summary (the timer's name),
    each with the instant it was set to fire at."""
    converter = client.data_converter.payload_converter
    started: dict[int, tuple[str, datetime]] = {}
    fired: dict[str, list[datetime]] = {}
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.HasField("timer_started_event_attributes"):
            attrs = event.timer_started_event_attributes
            name = converter.from_payload(event.user_metadata.summary, str)
            at = event.event_time.ToDatetime(tzinfo=UTC) + attrs.start_to_fire_timeout.ToTimedelta()
            started[event.event_id] = (name, at)
        elif event.HasField("timer_fired_event_attributes"):
            name, at = started[event.timer_fired_event_attributes.started_event_id]
            fired.setdefault(name, []).append(at)
    return fired
