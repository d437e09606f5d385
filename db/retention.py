"""Erasing personal data whose time is up (152-ФЗ): applications of a closed campaign,
old questions. Leaves anonymous counts only."""

from __future__ import annotations

from datetime import datetime

from db.applications import Notice
from db.database import Database
from db.outbox import enqueue, utc


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def count(self, campaign_year: int, *, enrolled: bool) -> int:
        """Applications of a campaign that are (or are not) enrolled."""
        op = "=" if enrolled else "<>"
        return int(
            await self.db.fetchval(
                f"SELECT count(*) FROM applications WHERE campaign_year = ? AND status {op} "
                "'enrolled'",
                (campaign_year,),
            )
        )

    async def purge(self, campaign_year: int, *, enrolled: bool) -> int:
        """Erase the applications of a campaign that are (or are not) enrolled, everything
        queued about them, and the consents of people left without an application.
        Returns how many applications were erased."""
        op = "=" if enrolled else "<>"
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT id, user_id FROM applications WHERE campaign_year = ? AND status {op} "
                "'enrolled'",
                (campaign_year,),
            )
            rows = [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]
            for application_id, _user_id in rows:
                await conn.execute(
                    "DELETE FROM outbox WHERE json_extract(payload, '$.application_id') = ?",
                    (application_id,),
                )
                await conn.execute("DELETE FROM applications WHERE id = ?", (application_id,))
            for user_id in {user_id for _id, user_id in rows}:
                await conn.execute(
                    "DELETE FROM consents WHERE user_id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM applications WHERE user_id = ?)",
                    (user_id, user_id),
                )
            if rows:
                await conn.execute(
                    "INSERT INTO counters (name, value) VALUES ('retention_erased', ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    (len(rows),),
                )
        if rows:
            await self.db.checkpoint()
        return len(rows)

    async def purge_questions(self, asked_before: datetime) -> int:
        """Questions (with their answers) asked before a moment, and their queued relays."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE json_extract(payload, '$.question_id') IN "
                "(SELECT id FROM questions WHERE asked_at < ?)",
                (utc(asked_before),),
            )
            cursor = await conn.execute(
                "DELETE FROM questions WHERE asked_at < ?", (utc(asked_before),)
            )
            erased = cursor.rowcount
        if erased:
            await self.db.checkpoint()
        return erased

    async def forget_updates(self, before: datetime) -> int:
        """Processed update ids older than Telegram's redelivery window are of no use."""
        return await self.db.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", (utc(before),)
        )

    async def notify(self, notices: list[Notice], now: datetime) -> int:
        """Queue notices (keys without placeholders); a repeated key adds nothing."""
        added = 0
        async with self.db.transaction() as conn:
            for notice in notices:
                added += await enqueue(
                    conn,
                    dedup_key=notice.key,
                    chat_id=notice.chat_id,
                    kind=notice.kind,
                    payload=notice.payload,
                    due_at=now,
                    now=now,
                )
        return added
