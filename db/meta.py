"""Small values the bot keeps for itself, and the record of processed updates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from db.database import Database
from db.outbox import utc


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(self, key: str, make: Callable[[], str]) -> str:
        """The stored value, or a new one from ``make`` stored now (the first one wins)."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, make()),
            )
            return str(await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (key,)))

    async def processed(self, update_id: int) -> bool:
        return (
            await self.db.fetchval(
                "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
            )
            == 1
        )

    async def mark_processed(self, update_id: int, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
            "ON CONFLICT (update_id) DO NOTHING",
            (update_id, utc(now)),
        )

    async def outbox_by_status(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def oldest_overdue(self, now: datetime) -> datetime | None:
        """When the longest-waiting pending message fell due (None: nothing overdue)."""
        value = await self.db.fetchval(
            "SELECT min(due_at) FROM outbox WHERE status = 'pending' AND due_at <= ?",
            (utc(now),),
        )
        return None if value is None else datetime.fromisoformat(value)

    async def applications_by_status(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM applications GROUP BY status"
        )
        return {r["status"]: r["n"] for r in rows}

    async def ping(self) -> bool:
        return await self.db.fetchval("SELECT 1") == 1
