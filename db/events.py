"""Events: registrations with the waiting list and attendance, what the bot knows of each
event of the catalogue, the short consent for events, and the source labels of posters.

Each change of seats happens in one transaction with the messages it owes (the outbox): a
cancellation frees a seat and offers it to the first in line at once. The rules (who gets a
seat, when an offer ends) are the caller's (``bot/domain/events.py``): this module takes
them as values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from db.database import Database
from db.outbox import enqueue, enqueue_or_merge, utc

SEATED, OFFERED, WAITING = "seated", "offered", "waiting"
# A change staff make is told a little later, so that several edits in a row make one notice.
CHANGE_DELAY = timedelta(minutes=2)
# A source label is recorded with a user first seen at most this long ago (a new user).
NEW_USER_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the database keeps of a catalogue event (instants in UTC)."""

    id: str
    title: dict[str, str]  # by language
    fingerprint: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    seats: int | None


@dataclass(frozen=True, slots=True)
class SeatOffer:
    """A freed seat offered: the notice goes at ``starts``; the seat is kept until ``until``."""

    starts: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Registration:
    id: int
    event_id: str
    user_id: int
    full_name: str
    phone: str
    status: str
    token: str
    created_at: datetime
    seated_at: datetime | None
    offered_until: datetime | None
    attended_at: datetime | None
    position: int = 0  # in the waiting list (1 = next), 0 when not waiting

    @property
    def has_seat(self) -> bool:
        return self.status == SEATED


@dataclass(frozen=True, slots=True)
class Seated:
    """A seat taken, for the reminders."""

    id: int
    event_id: str
    user_id: int
    seated_at: datetime


@dataclass(frozen=True, slots=True)
class Counts:
    seated: int = 0
    offered: int = 0
    waiting: int = 0
    attended: int = 0

    @property
    def taken(self) -> int:
        return self.seated + self.offered


@dataclass(frozen=True, slots=True)
class SourceCount:
    id: int
    label: str
    users: int  # new users who came through it (an anonymous count, kept after erasures)
    applications: int  # applications of those still in the bot


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _registration(row: aiosqlite.Row, position: int = 0) -> Registration:
    return Registration(
        id=row["id"],
        event_id=row["event_id"],
        user_id=row["user_id"],
        full_name=row["full_name"],
        phone=row["phone"],
        status=row["status"],
        token=row["token"],
        created_at=datetime.fromisoformat(row["created_at"]),
        seated_at=_moment(row["seated_at"]),
        offered_until=_moment(row["offered_until"]),
        attended_at=_moment(row["attended_at"]),
        position=position,
    )


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> aiosqlite.Row:
    cursor = await conn.execute(sql, params)
    row = await cursor.fetchone()
    assert row is not None
    return row


async def _save_facts(conn: aiosqlite.Connection, facts: EventFacts, now: datetime) -> None:
    """Create the event's row, or bring its times and seats up to date (the fingerprint and
    the cancellation are the sync's: changing them is what tells people)."""
    await conn.execute(
        """
        INSERT INTO events (id, title, fingerprint, starts_at, ends_at, cancelled, seats,
                            synced_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, seats = excluded.seats, removed = 0
        """,
        (
            facts.id,
            json.dumps(facts.title, ensure_ascii=False),
            facts.fingerprint,
            utc(facts.starts_at),
            utc(facts.ends_at),
            int(facts.cancelled),
            facts.seats,
            utc(now),
        ),
    )


async def _counts(conn: aiosqlite.Connection, event_id: str) -> Counts:
    row = await _one(
        conn,
        """
        SELECT coalesce(sum(status = 'seated'), 0), coalesce(sum(status = 'offered'), 0),
               coalesce(sum(status = 'waiting'), 0), count(attended_at)
        FROM event_registrations WHERE event_id = ?
        """,
        (event_id,),
    )
    return Counts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def _fill(
    db: Database,
    conn: aiosqlite.Connection,
    event_id: str,
    seats: int | None,
    offer: SeatOffer | None,
) -> int:
    """Offer the free seats to the first in line, each told by a notice; returns how many.
    Runs inside ``db``'s transaction, whose connection is ``conn``."""
    if offer is None:
        return 0
    counts = await _counts(conn, event_id)
    free = counts.waiting if seats is None else min(counts.waiting, seats - counts.taken)
    if free <= 0:
        return 0
    cursor = await conn.execute(
        "SELECT id, user_id FROM event_registrations WHERE event_id = ? AND status = 'waiting' "
        "ORDER BY id LIMIT ?",
        (event_id, free),
    )
    for registration_id, user_id in await cursor.fetchall():
        await conn.execute(
            "UPDATE event_registrations SET status = 'offered', offered_until = ? WHERE id = ?",
            (utc(offer.until), registration_id),
        )
        await enqueue(
            db,
            dedup_key=f"ev:offer:{registration_id}:{utc(offer.until)}",
            chat_id=user_id,
            kind="event_offer",
            payload={
                "event_id": event_id,
                "registration_id": registration_id,
                "until": utc(offer.until),
            },
            due_at=offer.starts,
            now=offer.starts,
        )
    return free


class EventRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- registrations ------------------------------------------------------------------

    async def register(
        self,
        facts: EventFacts,
        *,
        user_id: int,
        full_name: str,
        phone: str,
        token: str,
        now: datetime,
    ) -> tuple[Registration, bool]:
        """Register a person: a seat while seats are free and nobody waits, else the waiting
        list. Returns the registration and whether it is new (a second press finds the
        first)."""
        async with self.db.transaction() as conn:
            await _save_facts(conn, facts, now)
            cursor = await conn.execute(
                "SELECT id FROM event_registrations WHERE event_id = ? AND user_id = ?",
                (facts.id, user_id),
            )
            existing = await cursor.fetchone()
            if existing is None:
                counts = await _counts(conn, facts.id)
                free = facts.seats is None or counts.taken < facts.seats
                status = SEATED if free and not counts.waiting else WAITING
                cursor = await conn.execute(
                    """
                    INSERT INTO event_registrations (event_id, user_id, full_name, phone,
                        status, token, created_at, seated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (
                        facts.id,
                        user_id,
                        full_name,
                        phone,
                        status,
                        token,
                        utc(now),
                        utc(now) if status == SEATED else None,
                    ),
                )
                registration_id = cursor.lastrowid
            else:
                registration_id = existing[0]
        found = await self.get(int(registration_id or 0))
        assert found is not None
        return found, existing is None

    async def get(self, registration_id: int) -> Registration | None:
        row = await self.db.fetchone(
            """
            SELECT r.*, CASE WHEN r.status = 'waiting' THEN (
                SELECT count(*) FROM event_registrations w
                WHERE w.event_id = r.event_id AND w.status = 'waiting' AND w.id <= r.id)
                ELSE 0 END AS position
            FROM event_registrations r WHERE r.id = ?
            """,
            (registration_id,),
        )
        return None if row is None else _registration(row, int(row["position"]))

    async def by_token(self, token: str) -> Registration | None:
        row = await self.db.fetchone("SELECT id FROM event_registrations WHERE token = ?", (token,))
        return None if row is None else await self.get(int(row[0]))

    async def of_user(self, user_id: int) -> list[Registration]:
        rows = await self.db.fetchall(
            "SELECT id FROM event_registrations WHERE user_id = ? ORDER BY id", (user_id,)
        )
        found = [await self.get(int(r[0])) for r in rows]
        return [r for r in found if r is not None]

    async def of_event(self, event_id: str) -> list[Registration]:
        """Those with a seat or an offer (in the order they got it), then the waiting list."""
        rows = await self.db.fetchall(
            """
            SELECT * FROM event_registrations WHERE event_id = ?
            ORDER BY status = 'waiting', coalesce(seated_at, offered_until, created_at), id
            """,
            (event_id,),
        )
        waiting = 0
        found = []
        for row in rows:
            waiting += row["status"] == WAITING
            found.append(_registration(row, waiting if row["status"] == WAITING else 0))
        return found

    async def counts(self, event_id: str) -> Counts:
        async with self.db.transaction() as conn:
            return await _counts(conn, event_id)

    async def latest_details(self, user_id: int) -> tuple[str, str] | None:
        """The name and phone of the person's latest registration, to offer them again."""
        row = await self.db.fetchone(
            "SELECT full_name, phone FROM event_registrations WHERE user_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else (str(row[0]), str(row[1]))

    async def cancel(
        self,
        registration_id: int,
        user_id: int,
        *,
        seats: int | None,
        offer: SeatOffer | None,
        only_offered: bool = False,
    ) -> Registration | None:
        """Remove a person's registration (or decline an offer, ``only_offered``); a seat it
        held is offered to the first in line at once. Returns what was removed."""
        registration = await self.get(registration_id)
        if registration is None or registration.user_id != user_id:
            return None
        if only_offered and registration.status != OFFERED:
            return None
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM event_registrations WHERE id = ? AND status = ?",
                (registration_id, registration.status),
            )
            if not cursor.rowcount:
                return None
            if registration.status != WAITING:
                await _fill(self.db, conn, registration.event_id, seats, offer)
        return registration

    async def confirm(self, registration_id: int, user_id: int, now: datetime) -> bool:
        """Take the offered seat, if the offer still holds."""
        changed = await self.db.execute(
            """
            UPDATE event_registrations SET status = 'seated', seated_at = ?, offered_until = NULL
            WHERE id = ? AND user_id = ? AND status = 'offered' AND offered_until > ?
            """,
            (utc(now), registration_id, user_id, utc(now)),
        )
        return changed > 0

    async def expire_offers(self, now: datetime) -> list[str]:
        """Offers not taken in time: the registration goes (its person is told), the seat is
        free again. Returns the events whose seats are free again."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id, event_id, user_id FROM event_registrations "
                "WHERE status = 'offered' AND offered_until <= ?",
                (utc(now),),
            )
            lapsed = list(await cursor.fetchall())
            for registration_id, event_id, user_id in lapsed:
                await conn.execute(
                    "DELETE FROM event_registrations WHERE id = ?", (registration_id,)
                )
                await enqueue(
                    self.db,
                    dedup_key=f"ev:lapsed:{registration_id}",
                    chat_id=user_id,
                    kind="event_lapsed",
                    payload={"event_id": event_id},
                    due_at=now,
                    now=now,
                )
        return sorted({str(r[1]) for r in lapsed})

    async def fill(self, event_id: str, seats: int | None, offer: SeatOffer | None) -> int:
        """Offer the free seats of an event to the first in line (after more seats, an
        erasure, a lapsed offer)."""
        async with self.db.transaction() as conn:
            return await _fill(self.db, conn, event_id, seats, offer)

    async def with_free_seats(self) -> list[str]:
        """Events with people waiting and, by the seats last synced, a seat nobody holds."""
        rows = await self.db.fetchall(
            """
            SELECT e.id FROM events e
            WHERE e.cancelled = 0 AND e.removed = 0
              AND EXISTS (SELECT 1 FROM event_registrations w
                          WHERE w.event_id = e.id AND w.status = 'waiting')
              AND (e.seats IS NULL OR e.seats > (
                   SELECT count(*) FROM event_registrations r
                   WHERE r.event_id = e.id AND r.status IN ('seated', 'offered')))
            ORDER BY e.id
            """
        )
        return [str(r[0]) for r in rows]

    async def seated(self, after: datetime) -> list[Seated]:
        """Seats taken for events that start after ``after``."""
        rows = await self.db.fetchall(
            """
            SELECT r.id, r.event_id, r.user_id, r.seated_at FROM event_registrations r
            JOIN events e ON e.id = r.event_id
            WHERE r.status = 'seated' AND e.starts_at > ? AND e.cancelled = 0 AND e.removed = 0
            ORDER BY r.id
            """,
            (utc(after),),
        )
        return [Seated(int(r[0]), str(r[1]), int(r[2]), datetime.fromisoformat(r[3])) for r in rows]

    async def title(self, event_id: str) -> dict[str, str]:
        """The last title the catalogue gave an event (it may be gone from it since)."""
        value = await self.db.fetchval("SELECT title FROM events WHERE id = ?", (event_id,))
        return {} if value is None else dict(json.loads(value))

    # --- attendance -----------------------------------------------------------------------

    async def mark_attended(
        self, registration_id: int, attended: bool, staff_id: int, now: datetime
    ) -> bool:
        """Mark (or unmark) that the person came. A mark already there keeps its time."""
        if attended:
            changed = await self.db.execute(
                "UPDATE event_registrations SET attended_at = ?, attended_by = ? "
                "WHERE id = ? AND attended_at IS NULL",
                (utc(now), staff_id, registration_id),
            )
        else:
            changed = await self.db.execute(
                "UPDATE event_registrations SET attended_at = NULL, attended_by = NULL "
                "WHERE id = ? AND attended_at IS NOT NULL",
                (registration_id,),
            )
        return changed > 0

    # --- what the catalogue says of each event --------------------------------------------

    async def sync(self, events: list[EventFacts], now: datetime) -> int:
        """Bring the known events up to the catalogue's. A changed fingerprint is told once to
        everyone registered (a cancellation at once, other changes after ``CHANGE_DELAY``,
        joined); an event gone from the catalogue is told as cancelled. Returns the number
        of notices queued."""
        told = 0
        async with self.db.transaction() as conn:
            cursor = await conn.execute("SELECT id, fingerprint, cancelled, removed FROM events")
            known = {
                str(r[0]): (str(r[1]), bool(r[2]), bool(r[3])) for r in await cursor.fetchall()
            }
            for facts in events:
                before = known.get(facts.id)
                await _save_facts(conn, facts, now)
                if before is None:
                    continue
                fingerprint, cancelled, removed = before
                if fingerprint == facts.fingerprint and not removed:
                    continue
                await conn.execute(
                    "UPDATE events SET fingerprint = ?, cancelled = ?, synced_at = ? WHERE id = ?",
                    (facts.fingerprint, int(facts.cancelled), utc(now), facts.id),
                )
                if facts.cancelled and (cancelled and not removed):
                    continue  # still cancelled: an edit of a cancelled event is not news
                kind = "event_cancelled" if facts.cancelled else "event_changed"
                told += await self._tell(conn, facts.id, kind, facts.fingerprint, now)
            present = {facts.id for facts in events}
            for event_id, (_fingerprint, cancelled, removed) in known.items():
                if event_id in present or removed:
                    continue
                await conn.execute(
                    "UPDATE events SET removed = 1, synced_at = ? WHERE id = ?",
                    (utc(now), event_id),
                )
                if not cancelled:
                    told += await self._tell(conn, event_id, "event_cancelled", "removed", now)
        return told

    async def _tell(
        self, conn: aiosqlite.Connection, event_id: str, kind: str, version: str, now: datetime
    ) -> int:
        cursor = await conn.execute(
            "SELECT user_id FROM event_registrations WHERE event_id = ? ORDER BY id",
            (event_id,),
        )
        told = 0
        for (user_id,) in await cursor.fetchall():
            key = f"ev:{kind}:{event_id}:{version}:{user_id}"
            payload: dict[str, object] = {"event_id": event_id}
            if kind == "event_changed":
                told += await enqueue_or_merge(
                    self.db,
                    dedup_key=key,
                    chat_id=user_id,
                    kind=kind,
                    payload={**payload, "changes": [version]},
                    due_at=now + CHANGE_DELAY,
                    now=now,
                    merge_on="event_id",
                    append="changes",
                )
            else:
                told += await enqueue(
                    self.db,
                    dedup_key=key,
                    chat_id=user_id,
                    kind=kind,
                    payload=payload,
                    due_at=now,
                    now=now,
                )
        return told

    # --- the short consent for events --------------------------------------------------------

    async def consent(self, user_id: int) -> str | None:
        """The version of the person's consent for events, if they gave one."""
        value = await self.db.fetchval(
            "SELECT version FROM event_consents WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def give_consent(self, user_id: int, version: str, now: datetime) -> None:
        await self.db.execute(
            """
            INSERT INTO event_consents (user_id, version, given_at) VALUES (?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET version = excluded.version,
                                                given_at = excluded.given_at
            """,
            (user_id, version, utc(now)),
        )

    # --- source labels ------------------------------------------------------------------------

    async def source_id(self, label: str, staff_id: int, now: datetime) -> int:
        """The number of a source label, created on first use."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO link_sources (label, created_by, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (label) DO NOTHING",
                (label, staff_id, utc(now)),
            )
            row = await _one(conn, "SELECT id FROM link_sources WHERE label = ?", (label,))
        return int(row[0])

    async def source_label(self, source_id: int) -> str | None:
        value = await self.db.fetchval("SELECT label FROM link_sources WHERE id = ?", (source_id,))
        return None if value is None else str(value)

    async def record_source(self, user_id: int, source_id: int, now: datetime) -> bool:
        """Record the source a new user came through (first seen within
        ``NEW_USER_WINDOW``, no source yet); counted anonymously too. Returns whether it was."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                """
                UPDATE users SET source_id = :source
                WHERE id = :user AND source_id IS NULL AND first_seen >= :since
                  AND EXISTS (SELECT 1 FROM link_sources WHERE id = :source)
                """,
                {"source": source_id, "user": user_id, "since": utc(now - NEW_USER_WINDOW)},
            )
            if not cursor.rowcount:
                return False
            await conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (f"source_users:{source_id}",),
            )
        return True

    async def sources(self, codes: frozenset[str] | None = None) -> list[SourceCount]:
        """Every source label with its new users and the applications of those (choosing one
        of ``codes`` when given: what staff of one college see)."""
        rows = await self.db.fetchall(
            "SELECT s.id, s.label, coalesce(c.value, 0) FROM link_sources s "
            "LEFT JOIN counters c ON c.name = 'source_users:' || s.id ORDER BY s.id"
        )
        applied = await self.db.fetchall(
            """
            SELECT u.source_id, a.id, group_concat(ch.specialty_code, ',') FROM applications a
            JOIN users u ON u.id = a.user_id
            LEFT JOIN application_choices ch ON ch.application_id = a.id
            WHERE u.source_id IS NOT NULL GROUP BY a.id
            """
        )
        applications: dict[int, int] = {}
        for source, _application, chosen in applied:
            if codes is None or set(str(chosen or "").split(",")) & codes:
                applications[int(source)] = applications.get(int(source), 0) + 1
        return [
            SourceCount(int(r[0]), str(r[1]), int(r[2]), applications.get(int(r[0]), 0))
            for r in rows
        ]
