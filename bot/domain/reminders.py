"""Who gets which reminder when: pure rules over a snapshot of the data.

Reminders go out on the morning of a day (``hour`` local time, Asia/Krasnoyarsk by default):
7 days before, 1 day before and on the day of each admission deadline; 7 and 1 days before and
on the first morning of a work placement; 3 and 1 days before its report deadline; every 2 days
while an application waits for a correction. Each (reminder, user) has one key, so planning
twice adds nothing. A reminder whose day has passed is not planned; of several that are already
due for one event (the bot was down, or just deployed), only the latest is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.catalog import Campaign, Catalog
from db.reminders import ApplicantState, PlannedMessage, PracticumPeriod, Student

# Kinds a user can switch off, each covering some topics.
PREFERENCES = ("deadlines", "documents", "practicum", "opening")
TOPIC_PREFERENCE = {
    "opening": "opening",
    "acceptance_end": "deadlines",
    "enrollment": "deadlines",
    "originals": "documents",
    "medical": "documents",
    "correction": "documents",
    "practicum_start": "practicum",
    "practicum_report": "practicum",
}
DEADLINE_OFFSETS = (7, 1, 0)
PRACTICUM_START_OFFSETS = (7, 1, 0)
PRACTICUM_REPORT_OFFSETS = (3, 1)
CORRECTION_EVERY_DAYS = 2
CORRECTION_REPEATS = 3
ACTIVE = ("submitted", "needs_correction", "accepted")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the planner looks at, read from the database in one go."""

    applicants: list[ApplicantState] = field(default_factory=list)
    unfinished: set[int] = field(default_factory=set)
    with_application: set[int] = field(default_factory=set)
    subscriptions: dict[int, list[str]] = field(default_factory=dict)
    students: list[Student] = field(default_factory=list)
    periods: list[PracticumPeriod] = field(default_factory=list)
    optouts: dict[int, set[str]] = field(default_factory=dict)
    unreachable: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Candidate:
    group: str  # one event for one user: of its due candidates only the latest survives
    key: str
    user_id: int
    topic: str
    due_at: datetime
    expires_at: datetime
    payload: dict[str, object]


class Planner:
    def __init__(self, tz: ZoneInfo, hour: int = 10) -> None:
        self.tz = tz
        self.hour = hour

    def morning(self, day: date) -> datetime:
        return datetime.combine(day, time(self.hour), self.tz)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(0), self.tz)

    def _event(
        self,
        topic: str,
        ref: str,
        user_id: int,
        event_day: date,
        offsets: Iterable[int],
        payload: Mapping[str, object],
    ) -> list[_Candidate]:
        # Each reminder of an event expires when the next one falls due: after downtime the
        # queued ones do not all go out at once, only the latest.
        ordered = sorted(offsets, reverse=True)
        dues = [self.morning(event_day - timedelta(days=offset)) for offset in ordered]
        return [
            _Candidate(
                group=f"{topic}:{ref}:{event_day}:{user_id}",
                key=f"r:{topic}:{ref}:{event_day}:{offset}:{user_id}",
                user_id=user_id,
                topic=topic,
                due_at=due,
                expires_at=dues[i + 1] if i + 1 < len(dues) else self.end_of(event_day),
                payload={**payload, "topic": topic, "event_day": event_day.isoformat()},
            )
            for i, (offset, due) in enumerate(zip(ordered, dues, strict=True))
        ]

    def plan(self, now: datetime, catalog: Catalog, data: Snapshot) -> list[PlannedMessage]:
        today = now.astimezone(self.tz).date()
        campaign = catalog.campaign_for(today)
        candidates: list[_Candidate] = []
        # Admission reminders need a campaign that is open or upcoming: once every campaign in
        # the catalogue is over there is nothing to remind of, until the next one is added.
        if campaign is not None:
            candidates += self._admission(campaign, catalog, data)
        candidates += self._practicum(data)
        return self._select(now, candidates, data)

    def _admission(self, campaign: Campaign, catalog: Catalog, data: Snapshot) -> list[_Candidate]:
        candidates: list[_Candidate] = []

        def with_tests(codes: Iterable[str]) -> bool:
            return any((s := catalog.specialty(c)) is not None and s.entrance_tests for c in codes)

        # Prospective students who asked to be reminded, and forms left unfinished. Unless a
        # college gave its own date, the start is the rules' latest day («не позднее 20
        # июня»): ``exact`` lets the text say so.
        opening = {"exact": campaign.acceptance_start_exact}
        for user_id, codes in data.subscriptions.items():
            if user_id in data.with_application:
                continue
            candidates += self._event(
                "opening", str(campaign.year), user_id, campaign.acceptance_start,
                DEADLINE_OFFSETS, {**opening, "codes": codes},
            )  # fmt: skip
        for user_id in data.unfinished | set(data.subscriptions) - data.with_application:
            codes = data.subscriptions.get(user_id, [])
            end = (
                campaign.acceptance_end_with_tests if with_tests(codes) else campaign.acceptance_end
            )
            candidates += self._event(
                "acceptance_end", str(campaign.year), user_id, end, DEADLINE_OFFSETS, {}
            )

        for app in data.applicants:
            if app.campaign_year != campaign.year or app.status not in ACTIVE:
                continue
            ref = str(app.application_id)
            base = {"application_id": app.application_id}
            if not app.original_received:
                candidates += self._event(
                    "originals", ref, app.user_id, campaign.originals_deadline,
                    DEADLINE_OFFSETS, base,
                )  # fmt: skip
            needs_medical = any(
                (s := catalog.specialty(c)) is not None and s.medical_certificate
                for c in app.specialties
            )
            if needs_medical and not app.medical_received and not app.has_medical_document:
                candidates += self._event(
                    "medical", ref, app.user_id, campaign.originals_deadline,
                    DEADLINE_OFFSETS, base,
                )  # fmt: skip
            if campaign.enrollment_order:
                candidates += self._event(
                    "enrollment", ref, app.user_id, campaign.enrollment_order, (1, 0), base
                )
            if app.status == "needs_correction":
                changed = app.status_changed_at.astimezone(self.tz).date()
                for n in range(1, CORRECTION_REPEATS + 1):
                    day = changed + timedelta(days=CORRECTION_EVERY_DAYS * n)
                    candidates.append(
                        _Candidate(
                            group=f"correction:{app.history_id}:{day}",
                            key=f"r:correction:{app.history_id}:{n}:{app.user_id}",
                            user_id=app.user_id,
                            topic="correction",
                            due_at=self.morning(day),
                            expires_at=self.end_of(day + timedelta(days=CORRECTION_EVERY_DAYS)),
                            payload={
                                **base,
                                "topic": "correction",
                                "history_id": app.history_id,
                                "event_day": day.isoformat(),
                            },
                        )
                    )
        return candidates

    def _practicum(self, data: Snapshot) -> list[_Candidate]:
        candidates: list[_Candidate] = []
        groups: dict[tuple[str, str], list[int]] = {}
        for student in data.students:
            groups.setdefault((student.college_id, student.group_name), []).append(student.user_id)
        for period in data.periods:
            for user_id in groups.get((period.college_id, period.group_name), []):
                payload: dict[str, object] = {"period_id": period.id}
                candidates += self._event(
                    "practicum_start", str(period.id), user_id, period.start,
                    PRACTICUM_START_OFFSETS, payload,
                )  # fmt: skip
                candidates += self._event(
                    "practicum_report", str(period.id), user_id, period.report_deadline,
                    PRACTICUM_REPORT_OFFSETS, payload,
                )  # fmt: skip
        return candidates

    def _select(
        self, now: datetime, candidates: list[_Candidate], data: Snapshot
    ) -> list[PlannedMessage]:
        kept: dict[str, _Candidate] = {}
        latest_due: dict[str, _Candidate] = {}
        for c in candidates:
            if c.user_id in data.unreachable:
                continue
            if TOPIC_PREFERENCE[c.topic] in data.optouts.get(c.user_id, set()):
                continue
            if c.expires_at <= now:
                continue
            if c.due_at <= now:
                best = latest_due.get(c.group)
                if best is None or c.due_at > best.due_at:
                    latest_due[c.group] = c
            else:
                kept[c.key] = c
        for c in latest_due.values():
            kept[c.key] = c
        return [
            PlannedMessage(
                key=c.key,
                chat_id=c.user_id,
                kind="reminder",
                payload={**c.payload, "expires_at": c.expires_at.isoformat()},
                due_at=c.due_at,
            )
            for c in sorted(kept.values(), key=lambda c: (c.due_at, c.key))
        ]
