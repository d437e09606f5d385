"""Students, practicum periods, "remind me" subscriptions, opt-outs, and what the reminder
planner needs to know about applicants."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from db.applications import RANKED_STATUSES
from db.database import Database
from db.outbox import enqueue
from db.rows import RowMapper

# Outbox kinds of the news a student gets when the staff load something: the group's periods
# changed (with the new calendar file), or the group the student typed is now listed.
PRACTICUM_CHANGED = "practicum_changed"
STUDENT_ATTACHED = "student_attached"
STUDENT_NEWS = frozenset({PRACTICUM_CHANGED, STUDENT_ATTACHED})

# The form two spellings of one group share (bot.domain.groups.group_key), given by the caller:
# this module compares groups with it and imports nothing of bot/.
KeyOf = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Student:
    user_id: int
    college_id: str
    specialty_code: str
    group_name: str
    consent_version: str | None = None


@dataclass(frozen=True, slots=True)
class StudentGroup:
    id: int
    college_id: str
    name: str
    specialty_code: str
    revision: int = 0


@dataclass(frozen=True, slots=True)
class UnknownGroup:
    """A group students typed that no list of the college has: ``students`` typed it."""

    college_id: str
    name: str
    students: int


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
    # The first day: where to go, at what time (HH:MM), whom to ask for, what to bring ("":
    # not known yet, «уточняется»).
    address: str = ""
    meet_time: str = ""
    contact: str = ""
    bring: str = ""
    revision: int = 0  # bumped on every change: the calendar event's SEQUENCE

    def details(self) -> tuple[object, ...]:
        """What a student sees of the period: a change of any of it is news."""
        return (
            self.specialty_code, self.end, self.place, self.supervisor, self.report_deadline,
            self.address, self.meet_time, self.contact, self.bring,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Saved:
    """What a load did: rows saved, groups whose periods changed (their students are told and
    get the new calendar file), students whose typed group is now listed (told too)."""

    count: int
    changed_groups: int = 0
    attached: int = 0


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
_group = RowMapper(StudentGroup)


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- students and practicum --------------------------------------------------------

    async def register_student(self, student: Student, now: datetime) -> None:
        await self.db.execute(
            """
            INSERT INTO students (user_id, college_id, specialty_code, group_name, registered_at,
                consent_version)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET college_id = excluded.college_id,
                specialty_code = excluded.specialty_code, group_name = excluded.group_name,
                consent_version = excluded.consent_version, registered_at = excluded.registered_at
            """,
            (
                student.user_id,
                student.college_id,
                student.specialty_code,
                student.group_name,
                now.isoformat(),
                student.consent_version,
            ),
        )

    async def student(self, user_id: int) -> Student | None:
        return _student.one(
            await self.db.fetchone("SELECT * FROM students WHERE user_id = ?", (user_id,))
        )

    async def students(self) -> list[Student]:
        return _student.all(await self.db.fetchall("SELECT * FROM students"))

    async def remove_student(self, user_id: int) -> bool:
        """A student who graduated or left: the registration and whatever is still queued
        for it (practicum reminders, news of the group), at once. Returns whether there was
        one."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM students WHERE user_id = ?", (user_id,))
            removed = cursor.rowcount > 0
            kinds = sorted(STUDENT_NEWS)
            await conn.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND status = 'pending' AND (kind IN "
                f"({','.join('?' * len(kinds))}) OR (kind = 'reminder' AND "
                "json_extract(payload, '$.topic') LIKE 'practicum%'))",
                (user_id, *kinds),
            )
        if removed:
            await self.db.erased()
        return removed

    async def groups_of(self, college_id: str) -> list[StudentGroup]:
        rows = await self.db.fetchall(
            "SELECT * FROM student_groups WHERE college_id = ? ORDER BY name", (college_id,)
        )
        return _group.all(rows)

    async def group(self, group_id: int) -> StudentGroup | None:
        row = await self.db.fetchone("SELECT * FROM student_groups WHERE id = ?", (group_id,))
        return _group.one(row)

    async def group_named(self, college_id: str, name: str) -> StudentGroup | None:
        row = await self.db.fetchone(
            "SELECT * FROM student_groups WHERE college_id = ? AND name = ?", (college_id, name)
        )
        return _group.one(row)

    async def unknown_groups(self) -> list[UnknownGroup]:
        """Groups students typed that no list of their college has, with how many typed each."""
        rows = await self.db.fetchall(
            """
            SELECT college_id, group_name, count(*) AS n FROM students s
            WHERE NOT EXISTS (SELECT 1 FROM student_groups g
                              WHERE g.college_id = s.college_id AND g.name = s.group_name)
            GROUP BY college_id, group_name ORDER BY college_id, group_name
            """
        )
        return [UnknownGroup(r["college_id"], r["group_name"], r["n"]) for r in rows]

    async def save_groups(
        self, groups: Iterable[tuple[str, str, str]], now: datetime, key: KeyOf = str
    ) -> Saved:
        """A plain list of groups, ``(college_id, name, specialty_code)``: each is added (or
        takes this spelling and specialty), and students who typed one of them are attached."""
        count = 0
        async with self.db.transaction() as conn:
            known = _Groups(self.db, conn, key, now)
            for college_id, name, specialty_code in groups:
                await known.ensure(college_id, name, specialty_code)
                count += 1
        return Saved(count, 0, known.attached)

    async def save_periods(
        self,
        periods: Iterable[PracticumPeriod],
        added_by: int | None,
        now: datetime,
        key: KeyOf = str,
    ) -> Saved:
        """Add or correct periods, all in one transaction; a period is identified by its
        college, group and start date. Their groups are added as with :meth:`save_groups`;
        the students of a group whose periods changed get the news (through the outbox)."""
        count = 0
        changed: set[int] = set()
        async with self.db.transaction() as conn:
            known = _Groups(self.db, conn, key, now)
            for p in periods:
                group_id = await known.ensure(p.college_id, p.group_name, p.specialty_code)
                name = known.names[group_id]
                cursor = await conn.execute(
                    "SELECT * FROM practicum_periods WHERE college_id = ? AND group_name = ? "
                    "AND start_date = ?",
                    (p.college_id, name, p.start.isoformat()),
                )
                row = await cursor.fetchone()
                old = None if row is None else _period(row)
                revision = 0 if old is None else old.revision
                if old is None or old.details() != p.details():
                    changed.add(group_id)
                    revision += old is not None
                await conn.execute(
                    """
                    INSERT INTO practicum_periods (college_id, group_name, specialty_code,
                        start_date, end_date, place, supervisor, report_deadline, added_at,
                        added_by, address, meet_time, contact, bring, revision)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (college_id, group_name, start_date) DO UPDATE SET
                        specialty_code = excluded.specialty_code, end_date = excluded.end_date,
                        place = excluded.place, supervisor = excluded.supervisor,
                        report_deadline = excluded.report_deadline,
                        address = excluded.address, meet_time = excluded.meet_time,
                        contact = excluded.contact, bring = excluded.bring,
                        added_at = excluded.added_at, added_by = excluded.added_by,
                        revision = excluded.revision
                    """,
                    (
                        p.college_id,
                        name,
                        p.specialty_code,
                        p.start.isoformat(),
                        p.end.isoformat(),
                        p.place,
                        p.supervisor,
                        p.report_deadline.isoformat(),
                        now.isoformat(),
                        added_by,
                        p.address,
                        p.meet_time,
                        p.contact,
                        p.bring,
                        revision,
                    ),
                )
                count += 1
            for group_id in sorted(changed):
                await known.tell_changed(group_id)
        return Saved(count, len(changed), known.attached)

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

    async def followed(self, user_id: int) -> list[str]:
        """The specialty codes ``user_id`` asked to be reminded of."""
        rows = await self.db.fetchall(
            "SELECT specialty_code FROM subscriptions WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        return [r["specialty_code"] for r in rows]

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


class _Groups:
    """The groups of a load, inside its transaction: each found by its key (one group for
    every spelling of it) or added, and the students who typed it attached."""

    def __init__(self, db: Database, conn: aiosqlite.Connection, key: KeyOf, now: datetime) -> None:
        self.db = db  # the transaction's own: its connection is ``conn``
        self.conn = conn
        self.key = key
        self.now = now
        self.names: dict[int, str] = {}
        self.attached = 0

    async def ensure(self, college_id: str, name: str, specialty_code: str) -> int:
        conn = self.conn
        wanted = self.key(name)
        cursor = await conn.execute(
            "SELECT id, name, specialty_code FROM student_groups WHERE college_id = ?",
            (college_id,),
        )
        found = next((r for r in await cursor.fetchall() if self.key(r["name"]) == wanted), None)
        # Students who typed this group before the college listed it (read before the group
        # is added or renamed): attached below, and told.
        cursor = await conn.execute(
            """
            SELECT user_id, group_name FROM students s WHERE college_id = ? AND NOT EXISTS (
                SELECT 1 FROM student_groups g
                WHERE g.college_id = s.college_id AND g.name = s.group_name)
            """,
            (college_id,),
        )
        unlisted = await cursor.fetchall()
        if found is None:
            cursor = await conn.execute(
                "INSERT INTO student_groups (college_id, name, specialty_code, added_at) "
                "VALUES (?, ?, ?, ?)",
                (college_id, name, specialty_code, self.now.isoformat()),
            )
            group_id = int(cursor.lastrowid or 0)
        else:
            group_id = int(found["id"])
            if found["name"] != name:
                # The spelling the staff used last is the group's name: periods and students
                # of the group follow it.
                for sql in (
                    "UPDATE student_groups SET name = :new WHERE id = :id",
                    "UPDATE practicum_periods SET group_name = :new "
                    "WHERE college_id = :college AND group_name = :old",
                    "UPDATE students SET group_name = :new "
                    "WHERE college_id = :college AND group_name = :old",
                ):
                    await conn.execute(
                        sql,
                        {"new": name, "id": group_id, "college": college_id, "old": found["name"]},
                    )
            if found["specialty_code"] != specialty_code:
                await conn.execute(
                    "UPDATE student_groups SET specialty_code = ? WHERE id = ?",
                    (specialty_code, group_id),
                )
                await conn.execute(
                    "UPDATE students SET specialty_code = ? "
                    "WHERE college_id = ? AND group_name = ?",
                    (specialty_code, college_id, name),
                )
        self.names[group_id] = name
        for row in unlisted:
            if self.key(row["group_name"]) != wanted:
                continue
            await conn.execute(
                "UPDATE students SET group_name = ?, specialty_code = ? WHERE user_id = ?",
                (name, specialty_code, row["user_id"]),
            )
            await enqueue(
                self.db,
                dedup_key=f"student-attached:{group_id}:{row['user_id']}",
                chat_id=row["user_id"],
                kind=STUDENT_ATTACHED,
                payload={"group_id": group_id},
                due_at=self.now,
                now=self.now,
            )
            self.attached += 1
        return group_id

    async def tell_changed(self, group_id: int) -> None:
        """The group's periods changed: a new revision, and the news for each of its students
        (rendered when sent, from the latest revision: an older one renders to nothing)."""
        conn = self.conn
        await conn.execute(
            "UPDATE student_groups SET revision = revision + 1 WHERE id = ?", (group_id,)
        )
        cursor = await conn.execute(
            "SELECT g.revision, s.user_id FROM student_groups g JOIN students s "
            "ON s.college_id = g.college_id AND s.group_name = g.name WHERE g.id = ?",
            (group_id,),
        )
        for row in await cursor.fetchall():
            revision = int(row["revision"])
            await enqueue(
                self.db,
                dedup_key=f"practicum-changed:{group_id}:{revision}:{row['user_id']}",
                chat_id=row["user_id"],
                kind=PRACTICUM_CHANGED,
                payload={"group_id": group_id, "revision": revision},
                due_at=self.now,
                now=self.now,
            )
