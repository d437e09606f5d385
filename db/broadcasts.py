"""Broadcasts: recipients of a segment, the broadcast with its outbox rows, progress."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.applications import RANKED_STATUSES
from db.database import Database
from db.outbox import enqueue, utc
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    author_id: int
    created_at: datetime
    text: str
    photo_file_id: str | None
    segment: dict[str, str]
    recipients: int
    progress_chat_id: int | None
    progress_message_id: int | None
    reported: str | None
    finished_at: datetime | None
    text_en: str | None = None  # the English version, for users who read the bot in English


@dataclass(frozen=True, slots=True)
class Progress:
    sent: int = 0
    blocked: int = 0
    failed: int = 0  # failed for good, or dropped
    pending: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed + self.pending


_broadcast = RowMapper(Broadcast, segment=lambda row: json.loads(row["segment"]))


def _in(values: Collection[str]) -> str:
    return ",".join("?" * len(values))


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- recipients -------------------------------------------------------------------

    async def all_users(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM users WHERE unreachable_at IS NULL ORDER BY id"
        )
        return [r["id"] for r in rows]

    async def students_of_group(self, college_id: str, group_name: str) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT s.user_id FROM students s JOIN users u ON u.id = s.user_id "
            "WHERE s.college_id = ? AND s.group_name = ? AND u.unreachable_at IS NULL "
            "ORDER BY s.user_id",
            (college_id, group_name),
        )
        return [r["user_id"] for r in rows]

    async def applicants(
        self, campaign_year: int, codes: Collection[str] | None, status: str | None = None
    ) -> list[int]:
        """Reachable applicants of a campaign, each once: those choosing any of ``codes``
        (None: any specialty), with ``status`` (None: any status still in the competition)."""
        params: list[Any] = [campaign_year]
        if status is None:
            where = f" AND a.status IN ({_in(RANKED_STATUSES)})"
            params += RANKED_STATUSES
        else:
            where = " AND a.status = ?"
            params.append(status)
        if codes is not None:
            if not codes:
                return []
            where += (
                " AND EXISTS (SELECT 1 FROM application_choices c WHERE c.application_id = a.id"
                f" AND c.specialty_code IN ({_in(codes)}))"
            )
            params += sorted(codes)
        rows = await self.db.fetchall(
            "SELECT DISTINCT a.user_id FROM applications a JOIN users u ON u.id = a.user_id "
            f"WHERE a.campaign_year = ? AND u.unreachable_at IS NULL{where} ORDER BY a.user_id",
            params,
        )
        return [r["user_id"] for r in rows]

    async def groups(self, college_id: str | None = None) -> list[tuple[str, str]]:
        """Student groups known to the bot: ``(college_id, group_name)``."""
        sql = "SELECT DISTINCT college_id, group_name FROM students"
        params: tuple[object, ...] = ()
        if college_id is not None:
            sql += " WHERE college_id = ?"
            params = (college_id,)
        rows = await self.db.fetchall(sql + " ORDER BY college_id, group_name", params)
        return [(r["college_id"], r["group_name"]) for r in rows]

    # --- the broadcast ------------------------------------------------------------------

    async def create(
        self,
        *,
        author_id: int,
        text: str,
        photo_file_id: str | None,
        segment: dict[str, str],
        recipients: list[int],
        now: datetime,
        text_en: str | None = None,
    ) -> int:
        """Store the broadcast and one outbox row per recipient, in one transaction."""
        async with self.db.transaction():
            broadcast_id = await self.db.insert(
                "INSERT INTO broadcasts (author_id, created_at, text, photo_file_id, segment, "
                "recipients, text_en) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    author_id,
                    utc(now),
                    text,
                    photo_file_id,
                    json.dumps(segment),
                    len(recipients),
                    text_en,
                ),
            )
            for chat_id in recipients:
                await enqueue(
                    self.db,
                    dedup_key=f"broadcast:{broadcast_id}:{chat_id}",
                    chat_id=chat_id,
                    kind="broadcast",
                    payload={"broadcast_id": broadcast_id},
                    due_at=now,
                    now=now,
                )
            return broadcast_id

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return _broadcast.one(
            await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        )

    async def running(self) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE finished_at IS NULL ORDER BY id"
        )
        return _broadcast.all(rows)

    async def progress(self, broadcast_id: int) -> Progress:
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM outbox WHERE dedup_key GLOB ? GROUP BY status",
            (f"broadcast:{broadcast_id}:*",),
        )
        counts = {r["status"]: r["n"] for r in rows}
        return Progress(
            sent=counts.get("sent", 0),
            blocked=counts.get("blocked", 0),
            failed=counts.get("failed", 0) + counts.get("dropped", 0),
            pending=counts.get("pending", 0),
        )

    async def set_reported(self, broadcast_id: int, text: str) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET reported = ? WHERE id = ?", (text, broadcast_id)
        )

    async def finish(self, broadcast_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET finished_at = ? WHERE id = ?", (utc(now), broadcast_id)
        )
