"""Anonymous counters: named totals that outlive the rows they count."""

from __future__ import annotations

from db.database import Database


async def bump(db: Database, name: str, by: int = 1) -> int:
    """Add ``by`` to a counter (created at 0); return its new value. Inside a transaction it
    is part of it."""
    async with db.transaction():
        await db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )
        return await value(db, name)


async def value(db: Database, name: str) -> int:
    return int(await db.fetchval("SELECT value FROM counters WHERE name = ?", (name,)) or 0)
