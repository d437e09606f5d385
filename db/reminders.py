"""Students, practicum periods, "remind me" subscriptions, opt-outs, and what the reminder
planner needs to know about applicants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from db.applications import RANKED_STATUSES
from db.database import Database
from db.outbox import enqueue
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class Student:
    user_id: int
    college_id: str
    specialty_code: str
    group_name: str


@dataclass(frozen=True, slots=True)
class PracticumPeriod:
    id: int
    college_id: str
    group_name: str
    specialty_code: str
    start: date
    end: date
    place: str
    supervisor: str
    report_deadline: date


@dataclass(frozen=True, slots=True)
class ApplicantState:
    application_id: int
    user_id: int
    campaign_year: int
    status: str
    original_received: bool
    medical_received: bool
    has_medical_document: bool
    specialties: tuple[str, ...]
    status_changed_at: datetime
    history_id: int


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    key: str
    chat_id: int
    kind: str
    payload: dict[str, object]
    due_at: datetime


_student = RowMapper(Student)
_period = RowMapper(PracticumPeriod, start="start_date", end="end_date")
_applicant = RowMapper(
    ApplicantState,
    application_id="id",
    has_medical_document="has_medical",
    specialties=lambda row: tuple(row["codes"].split(",")) if row["codes"] else (),
    status_changed_at="changed_at",
)


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- students and practicum --------------------------------------------------------

    async def register_student(self, student: Student, now: datetime) -> None:
        await self.db.execute(
            """
            INSERT INTO students (user_id, college_id, specialty_code, group_name, registered_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET college_id = excluded.college_id,
                specialty_code = excluded.specialty_code, group_name = excluded.group_name
            """,
            (
                student.user_id,
                student.college_id,
                student.specialty_code,
                student.group_name,
                now.isoformat(),
            ),
        )

    async def student(self, user_id: int) -> Student | None:
        return _student.one(
            await self.db.fetchone("SELECT * FROM students WHERE user_id = ?", (user_id,))
        )

    async def students(self) -> list[Student]:
        return _student.all(await self.db.fetchall("SELECT * FROM students"))

    async def save_periods(
        self, periods: Iterable[PracticumPeriod], added_by: int | None, now: datetime
    ) -> int:
        """Add or correct periods, all in one transaction; a period is identified by its
        college, group and start date."""
        count = 0
        async with self.db.transaction():
            for p in periods:
                await self.db.execute(
                    """
                    INSERT INTO practicum_periods (college_id, group_name, specialty_code,
                        start_date, end_date, place, supervisor, report_deadline, added_at,
                        added_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (college_id, group_name, start_date) DO UPDATE SET
                        specialty_code = excluded.specialty_code, end_date = excluded.end_date,
                        place = excluded.place, supervisor = excluded.supervisor,
                        report_deadline = excluded.report_deadline,
                        added_at = excluded.added_at, added_by = excluded.added_by
                    """,
                    (
                        p.college_id,
                        p.group_name,
                        p.specialty_code,
                        p.start.isoformat(),
                        p.end.isoformat(),
                        p.place,
                        p.supervisor,
                        p.report_deadline.isoformat(),
                        now.isoformat(),
                        added_by,
                    ),
                )
                count += 1
        return count

    async def periods_of_group(self, college_id: str, group_name: str) -> list[PracticumPeriod]:
        rows = await self.db.fetchall(
            "SELECT * FROM practicum_periods WHERE college_id = ? AND group_name = ? "
            "ORDER BY start_date",
            (college_id, group_name),
        )
        return _period.all(rows)

    async def periods_after(self, day: date) -> list[PracticumPeriod]:
        rows = await self.db.fetchall(
            "SELECT * FROM practicum_periods WHERE report_deadline >= ? ORDER BY start_date",
            (day.isoformat(),),
        )
        return _period.all(rows)

    async def period(self, period_id: int) -> PracticumPeriod | None:
        return _period.one(
            await self.db.fetchone("SELECT * FROM practicum_periods WHERE id = ?", (period_id,))
        )

    # --- subscriptions and opt-outs -----------------------------------------------------

    async def toggle_subscription(self, user_id: int, code: str, now: datetime) -> bool:
        """Subscribe or unsubscribe; return True if now subscribed."""
        async with self.db.transaction():
            if await self.db.execute(
                "DELETE FROM subscriptions WHERE user_id = ? AND specialty_code = ?",
                (user_id, code),
            ):
                return False
            await self.db.execute(
                "INSERT INTO subscriptions (user_id, specialty_code, created_at) VALUES (?, ?, ?)",
                (user_id, code, now.isoformat()),
            )
            return True

    async def subscribed(self, user_id: int, code: str) -> bool:
        return (
            await self.db.fetchval(
                "SELECT 1 FROM subscriptions WHERE user_id = ? AND specialty_code = ?",
                (user_id, code),
            )
            is not None
        )

    async def subscriptions(self) -> dict[int, list[str]]:
        rows = await self.db.fetchall(
            "SELECT user_id, specialty_code FROM subscriptions ORDER BY created_at"
        )
        result: dict[int, list[str]] = {}
        for r in rows:
            result.setdefault(r["user_id"], []).append(r["specialty_code"])
        return result

    async def optouts(self, user_id: int) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT kind FROM reminder_optouts WHERE user_id = ?", (user_id,)
        )
        return {r["kind"] for r in rows}

    async def all_optouts(self) -> dict[int, set[str]]:
        result: dict[int, set[str]] = {}
        for r in await self.db.fetchall("SELECT user_id, kind FROM reminder_optouts"):
            result.setdefault(r["user_id"], set()).add(r["kind"])
        return result

    async def set_enabled(self, user_id: int, kind: str, enabled: bool) -> None:
        if enabled:
            await self.db.execute(
                "DELETE FROM reminder_optouts WHERE user_id = ? AND kind = ?", (user_id, kind)
            )
        else:
            await self.db.execute(
                "INSERT INTO reminder_optouts (user_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (user_id, kind),
            )

    # --- what the planner reads ---------------------------------------------------------

    async def unreachable(self) -> set[int]:
        rows = await self.db.fetchall("SELECT id FROM users WHERE unreachable_at IS NOT NULL")
        return {r["id"] for r in rows}

    async def users_with_applications(self) -> set[int]:
        return {r[0] for r in await self.db.fetchall("SELECT DISTINCT user_id FROM applications")}

    async def unfinished(self) -> set[int]:
        """Users who gave the consent but have not submitted an application."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT user_id FROM consents WHERE withdrawn_at IS NULL "
            "AND user_id NOT IN (SELECT user_id FROM applications)"
        )
        return {r[0] for r in rows}

    async def applicants(self) -> list[ApplicantState]:
        placeholders = ",".join("?" * len(RANKED_STATUSES))
        rows = await self.db.fetchall(
            f"""
            SELECT a.id, a.user_id, a.campaign_year, a.status, a.original_received,
                   a.medical_received,
                   EXISTS (SELECT 1 FROM documents d
                           WHERE d.application_id = a.id AND d.kind = 'medical') AS has_medical,
                   (SELECT group_concat(specialty_code, ',') FROM
                       (SELECT specialty_code FROM application_choices c
                        WHERE c.application_id = a.id ORDER BY priority)) AS codes,
                   h.changed_at, h.id AS history_id
            FROM applications a
            JOIN status_history h ON h.id = (
                SELECT max(id) FROM status_history WHERE application_id = a.id)
            WHERE a.status IN ({placeholders})
            """,
            RANKED_STATUSES,
        )
        return _applicant.all(rows)

    async def enqueue_all(self, planned: Iterable[PlannedMessage], now: datetime) -> int:
        """Put planned reminders into the outbox; a key already there adds nothing."""
        added = 0
        async with self.db.transaction():
            for item in planned:
                if await enqueue(
                    self.db,
                    dedup_key=item.key,
                    chat_id=item.chat_id,
                    kind=item.kind,
                    payload=item.payload,
                    due_at=item.due_at,
                    now=now,
                ):
                    added += 1
        return added
