"""Commands of the legal department that keeps the official calendar (lịch nghỉ chính thức):
show a year's days off and make-up working days with their sources, record an announcement."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import AsGone, CliError, app, parse_day, settings, signed_in
from cli.output import out, print_json, row, say, table

if TYPE_CHECKING:
    from models.calendar_change import CalendarApplied

calendar_app = typer.Typer(
    help="The official calendar: days off and make-up working days, with their sources.",
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")

_KINDS = {"holiday": "nghỉ lễ, tết", "day_off": "nghỉ bù / hoán đổi", "working_day": "làm bù"}


def _calendar_path(file: Path | None) -> Path:
    from models.official_calendar import CALENDAR_FILE

    return file or settings().calendar_file or CALENDAR_FILE


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="The year, e.g. 2026", min=1995, max=2200)],
    file: Annotated[Path | None, typer.Option(help="Calendar file (LEGISFLOW_CALENDAR_FILE)")] = (
        None
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list")] = False,
) -> None:
    """A year's days off and worked Saturdays, each with the instrument that announced it;
    a year not yet announced is shown as projected (dự kiến)."""
    from models.calendar import LegalCalendar, day_vi
    from models.official_calendar import load_calendar

    official = load_calendar(_calendar_path(file))
    calendar = LegalCalendar(official=official)
    announced = official.announced(year)
    days = sorted(
        (e for d in _days_of(year) if (e := calendar.entry(d)) is not None), key=lambda e: e.day
    )
    if as_json:
        print_json(
            {
                "year": year,
                "announced": announced,
                "days": [
                    {
                        "date": e.day.isoformat(),
                        "kind": e.kind.value,
                        "name": e.name,
                        "source": e.source,
                        "confirmed": e.confirmed,
                    }
                    for e in days
                ],
            }
        )
        return
    if announced:
        title = f"Lịch nghỉ {year} / Official calendar {year}"
    else:
        title = (
            f"Lịch nghỉ {year} — dự kiến, chưa có thông báo chính thức / projected, "
            f"not yet announced ({official.rules.projected_basis})"
        )
    listed = table("ngày / date", "loại / kind", "tên / name", "căn cứ / source", title=title)
    for e in days:
        mark = "" if e.confirmed else " [chưa xác nhận / unconfirmed]"
        row(
            listed,
            (day_vi(e.day), _KINDS[e.kind.value], e.name, f"{e.source}{mark}"),
        )
    out.print(listed)
    off = sum(1 for e in days if e.kind.value != "working_day" and e.day.weekday() < 5)
    worked = sum(1 for e in days if e.kind.value == "working_day")
    say(f"{off} ngày nghỉ trong tuần / weekdays off, {worked} ngày làm bù / make-up working days")


def _days_of(year: int) -> list[date]:
    first, after = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
    return [date.fromordinal(n) for n in range(first, after)]


@calendar_app.command("add")
def calendar_add(
    day: Annotated[str, typer.Argument(help="The date: 10/01/2026 or 2026-01-10")],
    kind: Annotated[
        str, typer.Argument(help="holiday (nghỉ lễ), day_off (nghỉ bù), working_day (làm bù)")
    ],
    name: Annotated[str, typer.Option(help="What the day is, in Vietnamese")],
    source: Annotated[str, typer.Option(help="The instrument: number, date, issuer")],
    unconfirmed: Annotated[
        bool, typer.Option(help="The instrument still has to be checked")
    ] = False,
    file: Annotated[Path | None, typer.Option(help="Calendar file (LEGISFLOW_CALENDAR_FILE)")] = (
        None
    ),
) -> None:
    """Record an announcement (ops): a day off, a swapped day, a make-up working day. The
    file is checked as a whole before it is written; new cases count on it at once, running
    cases when `calendar apply` sends it to them."""
    from pydantic import ValidationError

    from models.field_errors import field_errors
    from models.official_calendar import CalendarDay, record_announcement

    path = _calendar_path(file)
    try:
        entry = CalendarDay.model_validate(
            {
                "date": parse_day(day),
                "kind": kind,
                "name": name,
                "source": source,
                "confirmed": not unconfirmed,
            }
        )
    except ValidationError as exc:
        raise CliError(f"{path.name}: {field_errors(exc)}") from exc
    updated = record_announcement(path, entry)
    year = updated.years[entry.day.year]
    say(
        f"recorded in {path}: {entry.day:%d/%m/%Y} {_KINDS[entry.kind.value]} — {entry.name} "
        f"({entry.source}); {entry.day.year} now has {len(year)} entries"
    )


@calendar_app.command("apply")
def calendar_apply(
    announcement: Annotated[
        str, typer.Option(help="The announcement that changed the calendar (number, date)")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would move; change nothing")
    ] = False,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Only this case (repeatable)")
    ] = None,
    file: Annotated[Path | None, typer.Option(help="Calendar file (LEGISFLOW_CALENDAR_FILE)")] = (
        None
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result")] = False,
    as_given: AsGone = None,
) -> None:
    """Send the calendar file to the running drafting cases and their consultation requests,
    monitorings, feedback cases and checks: each counts its open deadlines again and records
    what moved, from when to when, and why. A limit that had already passed stays passed (the
    case stays overdue); the report says what the new calendar would have given."""
    from pydantic import ValidationError

    from cli.common import connect, run
    from client.calendar import apply_calendar
    from models.calendar_change import CalendarChange
    from models.field_errors import field_errors
    from models.official_calendar import load_calendar

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    path = _calendar_path(file)
    try:
        change = CalendarChange(
            official=load_calendar(path), announcement=announcement, operator=person
        )
    except ValidationError as exc:
        raise CliError(field_errors(exc)) from exc

    async def go() -> list[CalendarApplied]:
        return await apply_calendar(await connect(s, me), change, dry_run=dry_run, case_ids=case)

    results = run(go())
    if as_json:
        print_json([r.model_dump(mode="json") for r in results])
        return
    verb = "sẽ dời / would move" if dry_run else "đã dời / moved"
    listed = table("hồ sơ / case", "hạn / limit", "cũ / old", "mới / new", "ghi chú / note")
    for r in results:
        for m in r.moved:
            note = "đã quá hạn, giữ nguyên / had passed, kept" if m.passed else m.explanation
            row(listed, (r.case_id, m.name, f"{m.old_due:%d/%m/%Y}", f"{m.new_due:%d/%m/%Y}", note))
    moved = sum(1 for r in results for m in r.moved if not m.passed)
    if moved or any(r.moved for r in results):
        out.print(listed)
    say(
        f"{len(results)} hồ sơ đang chạy / running cases; {verb} {moved} thời hạn / time limits"
        + ("" if dry_run else f"; căn cứ / because: {announcement}")
    )
