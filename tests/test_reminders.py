"""Who gets which reminder when: the planner's rules, idempotent planning, quiet hours,
reminders after downtime, opt-outs, and the sender's handling of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.delivery.sender import QuietHours
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.domain.reminders import Planner, Snapshot
from db.reminders import PracticumPeriod, Student
from tests.helpers import TZ, applicant


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    parsed, problems = parse_catalog(default_catalog_bytes())
    assert parsed is not None, problems
    return parsed


@pytest.fixture(scope="module")
def catalog_with_order() -> Catalog:
    """The default with a published enrollment order (the shipped file has none: no college has
    published one) and a college's own date for the start of acceptance."""
    text = (
        default_catalog_bytes()
        .decode()
        .replace(
            "acceptance_start = 2027-06-20          # не позднее 20 июня\n"
            "acceptance_start_exact = false",
            "acceptance_start = 2027-06-15\nacceptance_start_exact = true\n"
            "enrollment_order = 2027-08-16\n"
            'sources = { acceptance_start = "Правила приема колледжа", '
            'enrollment_order = "Правила приема колледжа" }',
        )
    )
    parsed, problems = parse_catalog(text)
    assert parsed is not None and parsed.campaign(2027).enrollment_order, problems  # type: ignore[union-attr]
    return parsed


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def keys(planned: list) -> list[str]:  # type: ignore[type-arg]
    return [p.key for p in planned]


planner = Planner(TZ, hour=10)


def test_originals_reminders_7_days_1_day_and_the_morning_of_the_deadline(
    catalog: Catalog,
) -> None:
    planned = planner.plan(local(date(2027, 7, 1)), catalog, Snapshot(applicants=[applicant()]))
    originals = [p for p in planned if p.payload["topic"] == "originals"]
    assert [p.due_at for p in originals] == [
        local(date(2027, 8, 8)),
        local(date(2027, 8, 14)),
        local(date(2027, 8, 15)),
    ]
    assert all(p.chat_id == 100 and p.kind == "reminder" for p in originals)
    assert originals[-1].payload["expires_at"] == local(date(2027, 8, 16), 0).isoformat()


def test_reminders_are_due_at_the_morning_hour_in_norilsk(catalog: Catalog) -> None:
    planned = planner.plan(local(date(2027, 7, 1)), catalog, Snapshot(applicants=[applicant()]))
    assert {p.due_at.astimezone(TZ).hour for p in planned} == {10}
    assert planned[0].due_at.astimezone(UTC).hour == 3  # UTC+7


def test_only_applicants_without_the_original_are_reminded_to_bring_it(catalog: Catalog) -> None:
    planned = planner.plan(
        local(date(2027, 7, 1)),
        catalog,
        Snapshot(applicants=[applicant(original_received=True)]),
    )
    assert not [p for p in planned if p.payload["topic"] == "originals"]


def test_medical_reminder_only_where_required_and_missing(catalog: Catalog) -> None:
    now = local(date(2027, 7, 1))
    needs = applicant(specialties=("13.02.07",))
    has = applicant(application_id=2, user_id=101, specialties=("13.02.07",),
                    has_medical_document=True)  # fmt: skip
    other = applicant(application_id=3, user_id=102, specialties=("22.02.08",))
    planned = planner.plan(now, catalog, Snapshot(applicants=[needs, has, other]))
    medical = {p.chat_id for p in planned if p.payload["topic"] == "medical"}
    assert medical == {100}


def test_withdrawn_and_rejected_applicants_get_no_admission_reminders(catalog: Catalog) -> None:
    now = local(date(2027, 7, 1))
    planned = planner.plan(
        now,
        catalog,
        Snapshot(
            applicants=[applicant(status="withdrawn"), applicant(user_id=7, status="rejected")]
        ),
    )
    assert planned == []


def test_a_correction_is_reminded_every_two_days(catalog: Catalog) -> None:
    changed = datetime(2027, 7, 1, 5, tzinfo=UTC)  # 12:00 in Norilsk
    state = applicant(status="needs_correction", status_changed_at=changed, original_received=True)
    planned = planner.plan(changed, catalog, Snapshot(applicants=[state]))
    corrections = [p.due_at for p in planned if p.payload["topic"] == "correction"]
    assert corrections == [
        local(date(2027, 7, 3)),
        local(date(2027, 7, 5)),
        local(date(2027, 7, 7)),
    ]


def test_subscribers_get_the_opening_reminder_until_they_apply(catalog: Catalog) -> None:
    now = local(date(2027, 5, 1))
    data = Snapshot(subscriptions={200: ["22.02.08"], 201: ["15.01.05"]}, with_application={201})
    planned = planner.plan(now, catalog, data)
    opening = [p for p in planned if p.payload["topic"] == "opening"]
    assert {p.chat_id for p in opening} == {200}
    assert [p.due_at for p in opening] == [
        local(date(2027, 6, 13)),
        local(date(2027, 6, 19)),
        local(date(2027, 6, 20)),
    ]


def test_the_opening_reminder_knows_whether_the_start_is_a_date_or_a_deadline(
    catalog: Catalog, catalog_with_order: Catalog
) -> None:
    now = local(date(2027, 5, 1))
    data = Snapshot(subscriptions={200: ["22.02.08"]})
    deadline = [p for p in planner.plan(now, catalog, data) if p.payload["topic"] == "opening"]
    assert deadline and all(p.payload["exact"] is False for p in deadline)  # «не позднее»
    given = [
        p for p in planner.plan(now, catalog_with_order, data) if p.payload["topic"] == "opening"
    ]
    assert given[-1].due_at == local(date(2027, 6, 15)) and given[-1].payload["exact"] is True


def test_no_enrollment_reminder_without_a_published_order_date(catalog: Catalog) -> None:
    planned = planner.plan(local(date(2027, 7, 1)), catalog, Snapshot(applicants=[applicant()]))
    assert "enrollment" not in {p.payload["topic"] for p in planned}


def test_unfinished_forms_get_the_end_of_acceptance_reminder(catalog: Catalog) -> None:
    planned = planner.plan(local(date(2027, 7, 1)), catalog, Snapshot(unfinished={300}))
    ends = [p for p in planned if p.payload["topic"] == "acceptance_end"]
    assert [p.due_at for p in ends][-1] == local(date(2027, 8, 15))


def test_practicum_reminders_for_the_students_of_the_group(catalog: Catalog) -> None:
    period = PracticumPeriod(
        id=9, college_id="ntpts", group_name="МП-25-1", specialty_code="22.02.08",
        start=date(2027, 5, 12), end=date(2027, 6, 20), place="Завод", supervisor="Иванов",
        report_deadline=date(2027, 6, 25),
    )  # fmt: skip
    students = [
        Student(400, "ntpts", "22.02.08", "МП-25-1"),
        Student(401, "ntpts", "22.02.08", "МП-25-2"),
    ]
    planned = planner.plan(
        local(date(2027, 4, 1)), catalog, Snapshot(students=students, periods=[period])
    )
    assert {p.chat_id for p in planned} == {400}
    start = [p.due_at for p in planned if p.payload["topic"] == "practicum_start"]
    report = [p.due_at for p in planned if p.payload["topic"] == "practicum_report"]
    assert start == [local(date(2027, 5, 5)), local(date(2027, 5, 11)), local(date(2027, 5, 12))]
    assert report == [local(date(2027, 6, 22)), local(date(2027, 6, 24))]


def test_planning_twice_gives_the_same_keys(catalog: Catalog) -> None:
    data = Snapshot(applicants=[applicant()], subscriptions={200: ["22.02.08"]})
    now = local(date(2027, 5, 1))
    first = keys(planner.plan(now, catalog, data))
    assert first == keys(planner.plan(now, catalog, data))
    # One key per (reminder, user), naming the event, the offset and the user; no enrollment
    # order has been published in the shipped catalogue, so nothing is planned for it.
    assert sorted(first) == sorted(
        [f"r:originals:1:2027-08-15:{d}:100" for d in (7, 1, 0)]
        + [f"r:opening:2027:2027-06-20:{d}:200" for d in (7, 1, 0)]
        + [f"r:acceptance_end:2027:2027-08-15:{d}:200" for d in (7, 1, 0)]
    )
    # Planned again weeks later, the reminders still ahead keep their keys.
    later = keys(planner.plan(local(date(2027, 6, 19), 12), catalog, data))
    assert set(later) <= set(first) and "r:opening:2027:2027-06-20:0:200" in later
    assert "r:opening:2027:2027-06-20:7:200" not in later  # its day has passed


def test_after_downtime_only_the_latest_due_reminder_of_an_event_is_sent(catalog: Catalog) -> None:
    # The bot was down from 1 to 14 August: the 7-day reminder is stale, the 1-day one is due.
    now = local(date(2027, 8, 14), 15)
    planned = planner.plan(now, catalog, Snapshot(applicants=[applicant()]))
    originals = [p for p in planned if p.payload["topic"] == "originals"]
    assert [p.due_at for p in originals] == [local(date(2027, 8, 14)), local(date(2027, 8, 15))]


def test_reminders_for_an_event_that_has_passed_are_not_planned(catalog: Catalog) -> None:
    now = local(date(2027, 8, 16), 10)
    planned = planner.plan(now, catalog, Snapshot(applicants=[applicant()]))
    assert not [p for p in planned if p.payload["topic"] == "originals"]


def test_a_switched_off_kind_and_an_unreachable_user_get_nothing(
    catalog_with_order: Catalog,
) -> None:
    now = local(date(2027, 7, 1))
    data = Snapshot(
        applicants=[applicant(), applicant(application_id=2, user_id=101)],
        optouts={100: {"documents"}},
        unreachable={101},
    )
    planned = planner.plan(now, catalog_with_order, data)
    assert {p.payload["topic"] for p in planned} == {"enrollment"}
    assert {p.chat_id for p in planned} == {100}


@pytest.mark.parametrize(
    ("local_hour", "resume"),
    [(21, None), (8, None), (22, (1, 8)), (23, (1, 8)), (3, (0, 8)), (7, (0, 8))],
)
def test_quiet_hours_are_22_to_8_local(local_hour: int, resume: tuple[int, int] | None) -> None:
    quiet = QuietHours(TZ)
    now = datetime(2027, 8, 10, local_hour, 30, tzinfo=TZ)
    expected = None
    if resume is not None:
        days, hour = resume
        expected = datetime(2027, 8, 10, hour, tzinfo=TZ) + timedelta(days=days)
    assert quiet.resume_at(now) == expected
