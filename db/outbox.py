"""The outbox: messages the bot owes someone, delivered and retried by the sender."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from db.database import Database
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    dedup_key: str
    chat_id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int


async def enqueue(
    db: Database,
    *,
    dedup_key: str,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> bool:
    """Add a message (inside the caller's transaction, if any); a repeated ``dedup_key`` adds
    nothing. Returns whether it was added."""
    added = await db.execute(
        """
        INSERT INTO outbox (dedup_key, chat_id, kind, payload, due_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING
        """,
        (dedup_key, chat_id, kind, json.dumps(payload), utc(due_at), utc(now)),
    )
    return added == 1


async def enqueue_or_merge(
    db: Database,
    *,
    dedup_key: str,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
    merge_on: str,
    append: str,
) -> bool:
    """Like ``enqueue``, unless a message of the same kind to the same chat about the same
    ``payload[merge_on]`` is still waiting: then this one joins it (the items of
    ``payload[append]`` are added to that message's list) and nothing new is queued.

    Only a message not yet due is joined: the sender never takes it before its ``due_at``, so
    a change joined to a message being sent at that moment cannot get lost. Returns whether a
    new message was queued.
    """
    if not merge_on.isidentifier():
        raise ValueError(f"not a payload key: {merge_on!r}")
    # A read and then a write: one transaction (the caller's, if any), so that the message
    # read is still waiting when it is joined.
    async with db.transaction():
        waiting = await db.fetchone(
            f"""
            SELECT id, payload FROM outbox
            WHERE status = 'pending' AND kind = ? AND chat_id = ? AND due_at > ?
              AND json_extract(payload, '$.{merge_on}') = ?
            ORDER BY id DESC LIMIT 1
            """,
            (kind, chat_id, utc(now), payload[merge_on]),
        )
        if waiting is None:
            return await enqueue(
                db,
                dedup_key=dedup_key,
                chat_id=chat_id,
                kind=kind,
                payload=payload,
                due_at=due_at,
                now=now,
            )
        merged = json.loads(waiting[1])
        merged[append] = [*merged.get(append, []), *payload[append]]
        await db.execute(
            "UPDATE outbox SET payload = ? WHERE id = ?", (json.dumps(merged), waiting[0])
        )
        return False


def utc(moment: datetime) -> str:
    """Instants are stored as UTC text, so that comparing the text compares the instants."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: instants must carry their time zone")
    return moment.astimezone(UTC).isoformat()


_message = RowMapper(OutboxMessage, payload=lambda row: json.loads(row["payload"]))


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: datetime, limit: int = 50) -> list[OutboxMessage]:
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?",
            (utc(now), limit),
        )
        return _message.all(rows)

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval("SELECT min(due_at) FROM outbox WHERE status = 'pending'")
        return None if value is None else datetime.fromisoformat(value)

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL WHERE id = ?",
            (utc(now), message_id),
        )

    async def retry_later(self, message_id: int, due_at: datetime, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET due_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
            (utc(due_at), error[:500], message_id),
        )

    async def postpone(self, message_id: int, due_at: datetime) -> None:
        """Move a message later without counting an attempt (quiet hours)."""
        await self.db.execute(
            "UPDATE outbox SET due_at = ? WHERE id = ?", (utc(due_at), message_id)
        )

    async def finish(self, message_id: int, status: str, error: str | None) -> None:
        """End a message that will not be sent: ``failed``, ``blocked`` or ``dropped``."""
        await self.db.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
            (status, None if error is None else error[:500], message_id),
        )

    async def block_chat(self, chat_id: int, error: str) -> int:
        """The chat blocked the bot: nothing pending for it will be sent."""
        return await self.db.execute(
            "UPDATE outbox SET status = 'blocked', last_error = ? "
            "WHERE chat_id = ? AND status = 'pending'",
            (error[:500], chat_id),
        )

    async def set_part(self, message_id: int, part: int) -> None:
        """Remember how many parts of a multi-part message were delivered."""
        await self.db.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.part', ?) WHERE id = ?",
            (part, message_id),
        )

    async def backlog(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'"))

    async def get(self, dedup_key: str) -> dict[str, Any] | None:
        row = await self.db.fetchone("SELECT * FROM outbox WHERE dedup_key = ?", (dedup_key,))
        return None if row is None else dict(row)
