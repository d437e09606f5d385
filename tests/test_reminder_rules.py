"""The planner's timing rules that the delivery tests rely on: each reminder of an event gives
way to the next one (so a backlog after downtime sends one, not all), and ``REMINDER_HOUR``
moves every reminder, not only some."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from bot.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.reminders import Planner, Snapshot
from db.reminders import PracticumPeriod, Student
from tests.test_reminders import TZ, applicant


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    parsed, problems = parse_catalog(default_catalog_bytes())
    assert parsed is not None, problems
    return parsed


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def everything() -> Snapshot:
    period = PracticumPeriod(
        id=9, college_id="ntpts", group_name="МП-25-1", specialty_code="22.02.08",
        start=date(2027, 5, 12), end=date(2027, 6, 20), place="Завод", supervisor="Иванов",
        report_deadline=date(2027, 6, 25),
    )  # fmt: skip
    return Snapshot(
        applicants=[applicant(specialties=("13.02.07",))],
        unfinished={300},
        subscriptions={200: ["22.02.08"]},
        students=[Student(400, "ntpts", "22.02.08", "МП-25-1")],
        periods=[period],
    )


@pytest.mark.parametrize("hour", [8, 10, 17, 21])
def test_every_reminder_is_due_at_reminder_hour(catalog: Catalog, hour: int) -> None:
    planned = Planner(TZ, hour=hour).plan(local(date(2027, 4, 1), 7), catalog, everything())
    topics = {p.payload["topic"] for p in planned}
    assert topics == {"opening", "acceptance_end", "originals", "medical", "enrollment",
                      "practicum_start", "practicum_report"}  # fmt: skip
    assert {(p.due_at.astimezone(TZ).hour, p.due_at.astimezone(TZ).minute) for p in planned} == {
        (hour, 0)
    }


def test_each_reminder_of_an_event_expires_when_the_next_one_falls_due(catalog: Catalog) -> None:
    planner = Planner(TZ, hour=17)
    planned = planner.plan(local(date(2027, 4, 1), 7), catalog, everything())
    events: dict[tuple[object, ...], list[tuple[datetime, datetime]]] = {}
    for p in planned:
        group = (p.payload["topic"], p.chat_id, p.payload["event_day"])
        events.setdefault(group, []).append(
            (p.due_at, datetime.fromisoformat(str(p.payload["expires_at"])))
        )
    assert len(events) == 8  # acceptance_end for the unfinished form and for the subscriber
    for group, reminders in events.items():
        reminders.sort()
        for (_, expires), (next_due, _) in itertools.pairwise(reminders):
            assert expires == next_due, group
        last_day = date.fromisoformat(str(group[2]))
        midnight_after = datetime(last_day.year, last_day.month, last_day.day, tzinfo=TZ)
        assert reminders[-1][1] == midnight_after + timedelta(days=1), group
        assert all(due < expires for due, expires in reminders), group
