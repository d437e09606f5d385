"""The planner's timing rules that the delivery tests rely on: each reminder of an event gives
way to the next one (so a backlog after downtime sends one, not all), and ``REMINDER_HOUR``
moves every reminder, not only some."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.catalog import Catalog, parse_catalog
from bot.domain.reminders import Planner, Snapshot
from db.reminders import PlannedMessage, PracticumPeriod, Student
from tests.helpers import (
    TZ,
    applicant,
    catalog_text_with_enrollment_order,
    catalog_with_enrollment_order,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """With a published enrollment order, so that every kind of reminder is planned."""
    return catalog_with_enrollment_order()


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


# --- who gets what, rule by rule ------------------------------------------------------------

PLANNER = Planner(TZ, hour=10)


def keyed(planned: list[PlannedMessage]) -> dict[str, PlannedMessage]:
    return {p.key: p for p in planned}


def with_entrance_tests(code: str) -> Catalog:
    raw = catalog_text_with_enrollment_order()
    start = raw.index(f'code = "{code}"')
    field = raw.index("new_programme", start)  # the field is left out of the shipped file
    raw = raw[:field] + "entrance_tests = true\n" + raw[field:]
    parsed, problems = parse_catalog(raw.encode())
    assert parsed is not None, problems
    return parsed


def test_a_subscriber_to_a_specialty_with_entrance_tests_is_reminded_of_the_earlier_end() -> None:
    catalog = with_entrance_tests("22.02.08")
    data = Snapshot(subscriptions={200: ["22.02.08"], 201: ["21.02.18"]}, unfinished={202})
    planned = PLANNER.plan(local(date(2027, 5, 1), 12), catalog, data)
    ends = {
        p.chat_id: p.payload["event_day"] for p in planned if p.payload["topic"] == "acceptance_end"
    }
    assert ends == {200: "2027-08-10", 201: "2027-08-15", 202: "2027-08-15"}


def test_every_subscriber_without_an_application_gets_the_opening(catalog: Catalog) -> None:
    data = Snapshot(
        subscriptions={201: ["22.02.08"], 200: ["22.02.08"], 202: ["15.01.05"]},
        with_application={201},
    )
    planned = PLANNER.plan(local(date(2027, 5, 1), 12), catalog, data)
    opening = {p.chat_id for p in planned if p.payload["topic"] == "opening"}
    assert opening == {200, 202}


def test_applicants_out_of_the_competition_do_not_stop_the_others(catalog: Catalog) -> None:
    data = Snapshot(
        applicants=[
            applicant(application_id=1, user_id=100, status="withdrawn"),
            applicant(application_id=2, user_id=101, campaign_year=2026),
            applicant(application_id=3, user_id=102),
        ]
    )
    planned = PLANNER.plan(local(date(2027, 7, 1), 12), catalog, data)
    assert {p.chat_id for p in planned} == {102}


def test_unreachable_users_do_not_stop_the_others(catalog: Catalog) -> None:
    data = Snapshot(
        applicants=[
            applicant(application_id=1, user_id=100),
            applicant(application_id=2, user_id=101),
        ],
        unreachable={100},
    )
    planned = PLANNER.plan(local(date(2027, 7, 1), 12), catalog, data)
    assert {p.chat_id for p in planned} == {101}


def test_admission_reminders_carry_what_the_sender_renders_them_from(catalog: Catalog) -> None:
    data = Snapshot(
        applicants=[
            applicant(application_id=7, user_id=100, specialties=("13.02.07",)),
            applicant(application_id=8, user_id=101, status="needs_correction", history_id=42,
                      status_changed_at=datetime(2027, 7, 1, 5, tzinfo=TZ)),
        ]
    )  # fmt: skip
    planned = keyed(PLANNER.plan(local(date(2027, 7, 1), 12), catalog, data))
    originals = planned["r:originals:7:2027-08-15:7:100"]
    assert originals.chat_id == 100 and originals.payload == {
        "application_id": 7, "topic": "originals", "event_day": "2027-08-15",
        "expires_at": local(date(2027, 8, 14), 10).isoformat(),
    }  # fmt: skip
    assert planned["r:medical:7:2027-08-15:0:100"].payload["application_id"] == 7
    assert planned["r:enrollment:7:2027-08-16:1:100"].payload["application_id"] == 7
    correction = planned["r:correction:42:1:101"]
    assert correction.chat_id == 101 and correction.payload == {
        "application_id": 8, "topic": "correction", "history_id": 42,
        "event_day": "2027-07-03",
        "expires_at": datetime(2027, 7, 6, tzinfo=TZ).isoformat(),
    }  # fmt: skip
    assert correction.due_at == local(date(2027, 7, 3), 10)


def test_practicum_reminders_carry_their_period_and_skip_groups_without_students(
    catalog: Catalog,
) -> None:
    periods = [
        PracticumPeriod(
            id=pid, college_id="ntpts", group_name=group, specialty_code="22.02.08",
            start=date(2027, 5, 12), end=date(2027, 6, 20), place="Завод", supervisor="Иванов",
            report_deadline=date(2027, 6, 25),
        )
        for pid, group in ((8, "МП-24-1"), (9, "МП-25-1"))
    ]  # fmt: skip
    data = Snapshot(students=[Student(400, "ntpts", "22.02.08", "МП-25-1")], periods=periods)
    planned = keyed(PLANNER.plan(local(date(2027, 4, 1), 12), catalog, data))
    assert sorted(planned) == sorted(
        [f"r:practicum_start:9:2027-05-12:{d}:400" for d in (7, 1, 0)]
        + [f"r:practicum_report:9:2027-06-25:{d}:400" for d in (3, 1)]
    )
    assert {p.payload["period_id"] for p in planned.values()} == {9}


def test_the_campaign_and_the_correction_days_are_taken_in_norilsk_not_utc(
    catalog: Catalog,
) -> None:
    # 25 Nov 2026 18:00 UTC is already 26 Nov in Norilsk: the 2026 campaign is over.
    now = datetime(2026, 11, 25, 18, tzinfo=UTC)
    state = applicant(
        status="needs_correction",
        status_changed_at=datetime(2026, 11, 25, 18, tzinfo=UTC),  # 26 Nov, 01:00 local
    )
    planned = PLANNER.plan(now, catalog, Snapshot(applicants=[state]))
    assert "r:originals:1:2027-08-15:7:100" in keyed(planned)
    corrections = [p.due_at for p in planned if p.payload["topic"] == "correction"]
    assert corrections == [local(date(2026, 11, d), 10) for d in (28, 30)] + [
        local(date(2026, 12, 2), 10)
    ]


def test_nothing_is_planned_at_the_instant_it_expires(catalog: Catalog) -> None:
    end_of_deadline = datetime(2027, 8, 16, tzinfo=TZ)
    planned = PLANNER.plan(end_of_deadline, catalog, Snapshot(applicants=[applicant()]))
    assert not [p for p in planned if p.payload["topic"] == "originals"]
    just_before = PLANNER.plan(
        end_of_deadline - timedelta(seconds=1), catalog, Snapshot(applicants=[applicant()])
    )
    assert [p.key for p in just_before if p.payload["topic"] == "originals"] == [
        "r:originals:1:2027-08-15:0:100"
    ]


def test_after_downtime_each_event_keeps_its_own_latest_reminder(catalog: Catalog) -> None:
    data = Snapshot(
        applicants=[
            applicant(application_id=1, user_id=100, specialties=("13.02.07",)),
            applicant(application_id=2, user_id=101, specialties=("13.02.07",)),
        ]
    )
    planned = PLANNER.plan(local(date(2027, 8, 14), 15), catalog, data)
    due_now = sorted(p.key for p in planned if p.due_at <= local(date(2027, 8, 14), 15))
    assert due_now == [
        "r:medical:1:2027-08-15:1:100", "r:medical:2:2027-08-15:1:101",
        "r:originals:1:2027-08-15:1:100", "r:originals:2:2027-08-15:1:101",
    ]  # fmt: skip


def test_corrections_of_several_applicants_due_at_once_are_all_kept(catalog: Catalog) -> None:
    changed = datetime(2027, 7, 1, 5, tzinfo=UTC)
    data = Snapshot(
        applicants=[
            applicant(application_id=n, user_id=100 + n, status="needs_correction",
                      status_changed_at=changed, history_id=40 + n, original_received=True)
            for n in (1, 2)
        ]
    )  # fmt: skip
    planned = PLANNER.plan(local(date(2027, 7, 3), 15), catalog, data)  # both due this morning
    due = sorted(p.key for p in planned if p.due_at <= local(date(2027, 7, 3), 15))
    assert due == ["r:correction:41:1:101", "r:correction:42:1:102"]
