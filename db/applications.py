"""Consents, applications, their specialties, documents, status history and ranking."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from db.counters import bump
from db.counters import value as counter_value
from db.database import Database
from db.ledger import DeletionLedger, write_erasures
from db.outbox import enqueue, enqueue_or_merge
from db.rows import RowMapper
from db.staff_posts import posts_about_person, queue_deletion

# Statuses an application competes in the ranking with.
RANKED_STATUSES = ("submitted", "needs_correction", "accepted", "enrolled")
# An application ``a`` competes for its choice ``c``: an enrolled one only for the specialty it
# is enrolled to (any, for one enrolled before that was recorded). With RANKED_STATUSES.
COMPETES_FOR_CHOICE = (
    "(a.status <> 'enrolled' OR a.enrolled_code IS NULL OR a.enrolled_code = c.specialty_code)"
)

# What erasing one person (``:user``) means, statement by statement, in an order where each
# finds what it needs. Shared by «delete my data» and by restore, which erases again from a
# restored copy the people the deletion ledger names.
ERASE_PERSON = (
    # A staff comment may quote the name or the phone: the audit row keeps who, when, what.
    "UPDATE audit_log SET comment = NULL WHERE application_no IN "
    "(SELECT number FROM applications WHERE user_id = :user)",
    "DELETE FROM outbox WHERE json_extract(payload, '$.application_id') IN "
    "(SELECT id FROM applications WHERE user_id = :user)",
    # Specialties, documents, status history (with its comments) and staff posts cascade.
    "DELETE FROM applications WHERE user_id = :user",
    # Their questions (answers cascade) and the relays of those to the staff.
    "DELETE FROM outbox WHERE json_extract(payload, '$.question_id') IN "
    "(SELECT id FROM questions WHERE user_id = :user)",
    "DELETE FROM questions WHERE user_id = :user",
    # What they typed that the bot could not answer.
    "DELETE FROM unanswered WHERE user_id = :user",
    "DELETE FROM consents WHERE user_id = :user",
    "DELETE FROM fsm WHERE user_id = :user",
    "DELETE FROM outbox WHERE chat_id = :user",
    "DELETE FROM students WHERE user_id = :user",
    "DELETE FROM subscriptions WHERE user_id = :user",
    "DELETE FROM reminder_optouts WHERE user_id = :user",
    # Their registrations for events (a seat freed goes to the next in line: the events job)
    # and their consent for events.
    "DELETE FROM event_registrations WHERE user_id = :user",
    "DELETE FROM event_consents WHERE user_id = :user",
    "DELETE FROM users WHERE id = :user",
)

# Every Telegram id the database holds anything of (to match the deletion ledger).
PERSON_IDS = """
    SELECT id FROM users UNION SELECT user_id FROM applications
    UNION SELECT user_id FROM consents UNION SELECT user_id FROM questions
    UNION SELECT user_id FROM fsm UNION SELECT user_id FROM students
    UNION SELECT user_id FROM subscriptions UNION SELECT user_id FROM reminder_optouts
    UNION SELECT chat_id FROM outbox UNION SELECT user_id FROM unanswered
    UNION SELECT user_id FROM event_registrations UNION SELECT user_id FROM event_consents
"""

# Caps on the files of one application: the pages of one document, and all files. The database
# refuses more too (triggers of migration 0009_document_caps.sql carry the same numbers).
MAX_PAGES_PER_KIND = 10
MAX_FILES_PER_APPLICATION = 30


class DocumentLimitError(Exception):
    """Adding these files would pass a cap; nothing was added."""

    def __init__(self, kind: str | None, limit: int) -> None:
        where = f"of the kind {kind!r}" if kind else "in all"
        super().__init__(f"at most {limit} files {where} per application")
        self.kind = kind  # None: the cap on all files
        self.limit = limit


@dataclass(frozen=True, slots=True)
class DocumentRef:
    kind: str
    file_id: str
    file_unique_id: str
    content_type: str
    file_size: int | None = None
    id: int | None = None
    added_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApplicationData:
    """What the applicant fills in: everything but status, number and dates."""

    full_name: str
    birth_date: date
    phone: str
    email: str | None
    education_base: int
    average_score: Decimal
    specialties: tuple[str, ...]
    dormitory: bool
    channel: str
    minor: bool


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One change an applicant made to a submitted application: a field's old and new value
    as stored (ISO dates, codes, «1»/«0»; ``None``: none), or for ``document:<kind>`` the
    number of files added as ``new``."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    changed_at: datetime
    actor_id: int | None  # None: the applicant; else a staff member
    comment: str | None
    id: int | None = None
    undoes: int | None = None  # the change an administrator cancelled with this one


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    number: str
    user_id: int
    campaign_year: int
    status: str
    data: ApplicationData
    original_received: bool
    medical_received: bool
    submitted_at: datetime
    updated_at: datetime
    documents: tuple[DocumentRef, ...] = field(default=())
    history: tuple[StatusChange, ...] = field(default=())
    enrolled_code: str | None = None  # the specialty an enrolled applicant is enrolled to


@dataclass(frozen=True, slots=True)
class RankingEntry:
    application_id: int
    number: str
    average_score: Decimal
    original_received: bool
    submitted_at: datetime
    user_id: int = 0
    status: str = "submitted"
    full_name: str = ""
    medical_received: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to put into the outbox in the same transaction as the change it reports."""

    chat_id: int
    kind: str
    key: str
    payload: dict[str, Any]
    # Sent this long after the change. With ``merge``, a later change of the same application
    # joins the notice while it still waits (its ``event`` is added to the list ``events``):
    # the recipient gets one message for a burst of changes, not one per change.
    delay: timedelta = timedelta(0)
    merge: bool = False


@dataclass(frozen=True, slots=True)
class PersonErased:
    applications: int
    staff_posts: int  # the bot's posts about them in staff chats, queued for deletion


@dataclass(frozen=True, slots=True)
class Consent:
    id: int
    user_id: int
    version: str
    given_at: datetime
    minor: bool | None


_consent = RowMapper(Consent)
_document = RowMapper(DocumentRef)
_change = RowMapper(StatusChange)
_field_change = RowMapper(FieldChange)
# What the applicant filled in, from a row of ``applications`` (specialties given: they are
# rows of another table). The reports read it too.
data_mapper = RowMapper(ApplicationData)
_application = RowMapper(Application)
_ranked = RowMapper(RankingEntry, application_id="id")


def _score_rank(score: Decimal) -> int:
    return int(score * 100)


def _columns(data: ApplicationData) -> tuple[object, ...]:
    """Values of full_name … minor, in the order of the applications table."""
    return (
        data.full_name,
        data.birth_date.isoformat(),
        data.phone,
        data.email,
        data.education_base,
        f"{data.average_score:.2f}",
        _score_rank(data.average_score),
        int(data.dormitory),
        data.channel,
        int(data.minor),
    )


class ConsentRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def give(self, user_id: int, version: str, now: datetime) -> int:
        return await self.db.insert(
            "INSERT INTO consents (user_id, version, given_at) VALUES (?, ?, ?)",
            (user_id, version, now.isoformat()),
        )

    async def set_minor(self, user_id: int, minor: bool) -> None:
        await self.db.execute(
            "UPDATE consents SET minor = ? WHERE id = "
            "(SELECT max(id) FROM consents WHERE user_id = ? AND withdrawn_at IS NULL)",
            (int(minor), user_id),
        )

    async def current(self, user_id: int) -> Consent | None:
        row = await self.db.fetchone(
            "SELECT * FROM consents WHERE user_id = ? AND withdrawn_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return _consent.one(row)

    async def count_declined(self) -> None:
        await bump(self.db, "consent_declined")


async def queue_notices(db: Database, notices: Sequence[Notice], now: datetime) -> int:
    """Queue notices whose keys are complete (no placeholders), inside the caller's transaction
    if any; a repeated key adds nothing. How many were added."""
    added = 0
    for notice in notices:
        added += await enqueue(
            db,
            dedup_key=notice.key,
            chat_id=notice.chat_id,
            kind=notice.kind,
            payload=notice.payload,
            due_at=now,
            now=now,
        )
    return added


async def _put_notices(
    db: Database, notices: list[Notice], application_id: int, now: datetime
) -> None:
    for notice in notices:
        await enqueue(
            db,
            dedup_key=notice.key.format(application_id=application_id),
            chat_id=notice.chat_id,
            kind=notice.kind,
            payload={"application_id": application_id, **notice.payload},
            due_at=now,
            now=now,
        )


async def write_status(
    db: Database,
    application_id: int,
    status: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    comment: str | None = None,
    notices: Sequence[Notice] = (),
    expected: str | None = None,
    enrolled_code: str | None = None,
    undoes: int | None = None,
) -> int | None:
    """``ApplicationRepository.set_status`` inside the caller's transaction (an enrolment order
    changes many at once). ``enrolled_code`` is kept only with the status «enrolled»."""
    changed = await db.execute(
        "UPDATE applications SET status = ?, enrolled_code = ?, updated_at = ? "
        "WHERE id = ? AND status = coalesce(?, status)",
        (status, enrolled_code if status == "enrolled" else None, now.isoformat(),
         application_id, expected),
    )  # fmt: skip
    if changed != 1:
        return None
    history_id = await db.insert(
        "INSERT INTO status_history (application_id, status, changed_at, actor_id, comment, "
        "undoes) VALUES (?, ?, ?, ?, ?, ?)",
        (application_id, status, now.isoformat(), actor_id, comment, undoes),
    )
    for notice in notices:
        key = notice.key.format(application_id=application_id, history_id=history_id)
        payload = {
            "application_id": application_id,
            "history_id": history_id,
            **notice.payload,
        }
        due_at = now + notice.delay
        if notice.merge:
            await enqueue_or_merge(
                db,
                dedup_key=key,
                chat_id=notice.chat_id,
                kind=notice.kind,
                payload={**payload, "events": [notice.payload.get("event")]},
                due_at=due_at,
                now=now,
                merge_on="application_id",
                append="events",
            )
        else:
            await enqueue(
                db,
                dedup_key=key,
                chat_id=notice.chat_id,
                kind=notice.kind,
                payload=payload,
                due_at=due_at,
                now=now,
            )
    return history_id


class ApplicationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writing ----------------------------------------------------------------------

    async def submit(
        self,
        *,
        user_id: int,
        campaign_year: int,
        data: ApplicationData,
        documents: list[DocumentRef],
        now: datetime,
        notices: list[Notice],
    ) -> tuple[int, bool]:
        """Create the person's application for the campaign; return ``(id, created)``.

        A second submit (double click, resend, a redelivered update) finds the first one and
        creates nothing. Notices (e.g. the post to the admission staff) go into the outbox in
        the same transaction, so a crash can lose neither the application nor its notices.
        """
        async with self.db.transaction():
            existing = await self.db.fetchval(
                "SELECT id FROM applications WHERE user_id = ? AND campaign_year = ?",
                (user_id, campaign_year),
            )
            if existing is not None:
                return int(existing), False
            sequence = await bump(self.db, f"application_number:{campaign_year}")
            number = f"М-{campaign_year}-{sequence:04d}"
            application_id = await self.db.insert(
                """
                INSERT INTO applications (
                    number, user_id, campaign_year, status, full_name, birth_date, phone, email,
                    education_base, average_score, score_rank, dormitory, channel, minor,
                    submitted_at, updated_at
                ) VALUES (?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (number, user_id, campaign_year, *_columns(data), now.isoformat(), now.isoformat()),
            )
            await self._write_choices(application_id, data.specialties)
            await self._write_documents(application_id, documents, now)
            await self.db.execute(
                "INSERT INTO status_history (application_id, status, changed_at) "
                "VALUES (?, 'submitted', ?)",
                (application_id, now.isoformat()),
            )
            await _put_notices(self.db, notices, application_id, now)
            return application_id, True

    async def update_data(
        self,
        application_id: int,
        data: ApplicationData,
        now: datetime,
        *,
        changes: Sequence[FieldChange] = (),
        notices: Sequence[Notice] = (),
    ) -> None:
        """Store the new answers with what changed; ``notices`` (the staff's) report the
        changes at once, else they wait unreported (a correction in progress)."""
        async with self.db.transaction():
            await self._record_changes(application_id, changes, now, notices)
            await self.db.execute(
                """
                UPDATE applications SET full_name = ?, birth_date = ?, phone = ?, email = ?,
                    education_base = ?, average_score = ?, score_rank = ?, dormitory = ?,
                    channel = ?, minor = ?, updated_at = ?
                WHERE id = ?
                """,
                (*_columns(data), now.isoformat(), application_id),
            )
            await self.db.execute(
                "DELETE FROM application_choices WHERE application_id = ?", (application_id,)
            )
            await self._write_choices(application_id, data.specialties)

    async def add_documents(
        self,
        application_id: int,
        documents: list[DocumentRef],
        now: datetime,
        *,
        changes: Sequence[FieldChange] = (),
        notices: Sequence[Notice] = (),
    ) -> None:
        """Add files to an application, all or none: ``DocumentLimitError`` past a cap. The
        ``changes`` (the files added) are recorded and reported as by ``update_data``."""
        async with self.db.transaction():
            await self._write_documents(application_id, documents, now)  # may refuse
            await self._record_changes(application_id, changes, now, notices)
            await self.db.execute(
                "UPDATE applications SET updated_at = ? WHERE id = ?",
                (now.isoformat(), application_id),
            )

    async def send_for_review(
        self, application_id: int, now: datetime, notices: list[Notice]
    ) -> int | None:
        """A correction done: the application is submitted again, and ``notices`` report every
        change not reported yet, in one message each. ``None`` (and nothing done) when there
        is no such change. Returns the status change's history id."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id FROM application_changes WHERE application_id = ? "
                "AND reported_at IS NULL ORDER BY id",
                (application_id,),
            )
            ids = [int(r["id"]) for r in rows]
            if not ids:
                return None
            history_id = await self.set_status(application_id, "submitted", now)
            await self._report(application_id, ids, now, notices, history_id)
            return history_id

    async def unreported_changes(self, application_id: int) -> list[FieldChange]:
        """The changes no staff notice has taken yet, oldest first."""
        rows = await self.db.fetchall(
            "SELECT field, old_value AS old, new_value AS new FROM application_changes "
            "WHERE application_id = ? AND reported_at IS NULL ORDER BY id",
            (application_id,),
        )
        return [_field_change(r) for r in rows]

    async def changes(self, application_id: int, ids: list[int]) -> list[FieldChange]:
        """The changes of an application with these ids, oldest first."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            "SELECT field, old_value AS old, new_value AS new FROM application_changes "
            f"WHERE application_id = ? AND id IN ({marks}) ORDER BY id",
            (application_id, *ids),
        )
        return [_field_change(r) for r in rows]

    async def _record_changes(
        self,
        application_id: int,
        changes: Sequence[FieldChange],
        now: datetime,
        notices: Sequence[Notice],
    ) -> None:
        """Inside the caller's transaction."""
        ids = [
            await self.db.insert(
                "INSERT INTO application_changes "
                "(application_id, field, old_value, new_value, changed_at) VALUES (?, ?, ?, ?, ?)",
                (application_id, change.field, change.old, change.new, now.isoformat()),
            )
            for change in changes
        ]
        if ids and notices:
            await self._report(application_id, ids, now, notices, None)

    async def _report(
        self,
        application_id: int,
        ids: list[int],
        now: datetime,
        notices: Sequence[Notice],
        history_id: int | None,
    ) -> None:
        """Queue ``notices`` about the changes ``ids`` (their payload lists them; a merged
        notice still waiting takes them in) and mark the changes reported. Inside the
        caller's transaction."""
        marks = ",".join("?" * len(ids))
        await self.db.execute(
            f"UPDATE application_changes SET reported_at = ? WHERE id IN ({marks})",
            (now.isoformat(), *ids),
        )
        for notice in notices:
            key = notice.key.format(
                application_id=application_id, history_id=history_id, change_id=ids[0]
            )
            payload = {"application_id": application_id, **notice.payload, "changes": ids}
            if history_id is not None:
                payload["history_id"] = history_id
            if notice.merge:
                await enqueue_or_merge(
                    self.db, dedup_key=key, chat_id=notice.chat_id, kind=notice.kind,
                    payload=payload, due_at=now + notice.delay, now=now,
                    merge_on="application_id", append="changes",
                )  # fmt: skip
            else:
                await enqueue(
                    self.db, dedup_key=key, chat_id=notice.chat_id, kind=notice.kind,
                    payload=payload, due_at=now + notice.delay, now=now,
                )  # fmt: skip

    async def set_status(
        self,
        application_id: int,
        status: str,
        now: datetime,
        *,
        actor_id: int | None = None,
        comment: str | None = None,
        notices: list[Notice] = (),  # type: ignore[assignment]
        expected: str | None = None,
        enrolled_code: str | None = None,
        undoes: int | None = None,
    ) -> int | None:
        """Change the status, keep it in the history, queue the notices; return the history id.

        ``notices`` keys may use ``{history_id}`` so that each change is announced once. With
        ``expected``, the change is made only from that status (None is returned otherwise,
        and nothing is written): a decision taken on a card another member has just changed
        does not overwrite theirs.
        """
        async with self.db.transaction():
            return await write_status(
                self.db, application_id, status, now, actor_id=actor_id, comment=comment,
                notices=notices, expected=expected, enrolled_code=enrolled_code, undoes=undoes,
            )  # fmt: skip

    async def mark_received(
        self, application_id: int, flag: str, now: datetime, notices: list[Notice]
    ) -> None:
        """Mark the original certificate or the medical certificate received, and queue the
        applicant's notice in the same transaction."""
        if flag not in ("original_received", "medical_received"):
            raise ValueError(f"unknown flag {flag!r}")
        async with self.db.transaction():
            stamp = ", original_received_at = :now" if flag == "original_received" else ""
            await self.db.execute(
                f"UPDATE applications SET {flag} = 1, updated_at = :now{stamp} WHERE id = :id",
                {"now": now.isoformat(), "id": application_id},
            )
            await _put_notices(self.db, notices, application_id, now)

    async def _write_choices(self, application_id: int, codes: tuple[str, ...]) -> None:
        for priority, code in enumerate(codes, start=1):
            await self.db.execute(
                "INSERT INTO application_choices (application_id, priority, specialty_code) "
                "VALUES (?, ?, ?)",
                (application_id, priority, code),
            )

    async def _write_documents(
        self, application_id: int, documents: list[DocumentRef], now: datetime
    ) -> None:
        """Add files (a file already there is skipped); raise ``DocumentLimitError`` and add
        nothing when a cap would be passed. Inside the caller's transaction."""
        rows = await self.db.fetchall(
            "SELECT kind, file_unique_id FROM documents WHERE application_id = ?",
            (application_id,),
        )
        seen = {row[1] for row in rows}
        per_kind: dict[str, int] = {}
        for row in rows:
            per_kind[row[0]] = per_kind.get(row[0], 0) + 1
        total = len(rows)
        fresh = []
        for doc in documents:
            if doc.file_unique_id in seen:
                continue
            seen.add(doc.file_unique_id)
            per_kind[doc.kind] = per_kind.get(doc.kind, 0) + 1
            total += 1
            if per_kind[doc.kind] > MAX_PAGES_PER_KIND:
                raise DocumentLimitError(doc.kind, MAX_PAGES_PER_KIND)
            if total > MAX_FILES_PER_APPLICATION:
                raise DocumentLimitError(None, MAX_FILES_PER_APPLICATION)
            fresh.append(doc)
        for doc in fresh:
            await self.db.execute(
                """
                INSERT INTO documents (application_id, kind, file_id, file_unique_id,
                                       content_type, file_size, added_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (application_id, file_unique_id) DO NOTHING
                """,
                (
                    application_id,
                    doc.kind,
                    doc.file_id,
                    doc.file_unique_id,
                    doc.content_type,
                    doc.file_size,
                    (doc.added_at or now).isoformat(),
                ),
            )

    # --- reading ----------------------------------------------------------------------

    async def id_for_user(self, user_id: int) -> int | None:
        return await self.db.fetchval(
            "SELECT id FROM applications WHERE user_id = ? ORDER BY campaign_year DESC LIMIT 1",
            (user_id,),
        )

    async def get(self, application_id: int) -> Application | None:
        """The application with its choices, documents and history, all of one moment (one
        read transaction: a change committed meanwhile is seen whole or not at all)."""
        async with self.db.snapshot():
            row = await self.db.fetchone(
                "SELECT * FROM applications WHERE id = ?", (application_id,)
            )
            if row is None:
                return None
            choices = await self.db.fetchall(
                "SELECT specialty_code FROM application_choices WHERE application_id = ? "
                "ORDER BY priority",
                (application_id,),
            )
            docs = await self.db.fetchall(
                "SELECT * FROM documents WHERE application_id = ? ORDER BY id", (application_id,)
            )
            history = await self.db.fetchall(
                "SELECT * FROM status_history WHERE application_id = ? ORDER BY id",
                (application_id,),
            )
        return _application(
            row,
            data=data_mapper(row, specialties=tuple(r["specialty_code"] for r in choices)),
            documents=tuple(_document.all(docs)),
            history=tuple(_change.all(history)),
        )

    async def latest_history_id(self, application_id: int) -> int | None:
        return await self.db.fetchval(
            "SELECT max(id) FROM status_history WHERE application_id = ?", (application_id,)
        )

    async def for_user(self, user_id: int) -> Application | None:
        """The user's latest application (as :meth:`get`, in one read transaction)."""
        async with self.db.snapshot():
            application_id = await self.id_for_user(user_id)
            return None if application_id is None else await self.get(application_id)

    async def ranking(self, specialty_code: str, campaign_year: int) -> list[RankingEntry]:
        """Applicants of a specialty, best first: average score, then the original
        certificate received, then the earlier submission. An enrolled applicant competes only
        where enrolled."""
        placeholders = ",".join("?" * len(RANKED_STATUSES))
        rows = await self.db.fetchall(
            f"""
            SELECT a.id, a.number, a.average_score, a.original_received, a.submitted_at,
                   a.user_id, a.status, a.full_name, a.medical_received
            FROM applications a JOIN application_choices c ON c.application_id = a.id
            WHERE c.specialty_code = ? AND a.campaign_year = ? AND a.status IN ({placeholders})
              AND {COMPETES_FOR_CHOICE}
            ORDER BY a.score_rank DESC, a.original_received DESC, a.submitted_at ASC, a.id ASC
            """,
            (specialty_code, campaign_year, *RANKED_STATUSES),
        )
        return _ranked.all(rows)

    # --- deleting ---------------------------------------------------------------------

    async def delete_person(self, user_id: int, now: datetime) -> PersonErased:
        """Erase everything personal about a user; keep only anonymous counts.

        Removes their applications (with specialties, documents, history), questions (with
        answers), consents, dialogue state, queued messages to them and about them, and the
        user row; blanks the staff comments on their applications in the audit log; queues
        the deletion of the bot's posts about them in the staff chats. The deletion ledger
        gets the person first, so that a restore of an older copy erases them again.
        """
        rows = await self.db.fetchall(
            "SELECT number FROM applications WHERE user_id = ?", (user_id,)
        )
        numbers = [str(r[0]) for r in rows]
        ledger = DeletionLedger.beside(self.db.path)
        entries = (
            [] if ledger is None else await asyncio.to_thread(ledger.record, user_id, numbers, now)
        )
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id FROM applications WHERE user_id = ?", (user_id,)
            )
            ids = [int(r[0]) for r in rows]
            posts = await posts_about_person(self.db, user_id)
            for statement in ERASE_PERSON:
                await self.db.execute(statement, {"user": user_id})
            await write_erasures(self.db, entries)
            # Telegram refuses what it no longer allows (posts older than 48 hours, unless the
            # bot is an administrator there): the sender takes a refusal as final.
            for post in posts:
                await queue_deletion(self.db, post, now)
            await bump(self.db, "personal_data_deleted")
            if ids:
                await bump(self.db, "applications_deleted", len(ids))
        await self.db.erased()
        return PersonErased(applications=len(ids), staff_posts=len(posts))

    async def counter(self, name: str) -> int:
        return await counter_value(self.db, name)
