"""Users: language and first/last seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from db.database import Database
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    language: str
    language_chosen: bool
    first_seen: datetime
    last_seen: datetime
    unreachable: bool


_user = RowMapper(UserRecord, unreachable=lambda row: row["unreachable_at"] is not None)


class UserRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(self, user_id: int, language: str, now: datetime | None = None) -> UserRecord:
        """Record that the user was seen; create them with ``language`` on first contact.

        A user who writes again is reachable again, so ``unreachable_at`` is cleared.
        """
        stamp = (now or datetime.now(UTC)).isoformat()
        async with self.db.transaction():
            await self.db.execute(
                """
                INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen,
                                               unreachable_at = NULL
                """,
                (user_id, language, stamp, stamp),
            )
            record = await self.get(user_id)
        assert record is not None  # just written
        return record

    async def get(self, user_id: int) -> UserRecord | None:
        return _user.one(await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,)))

    async def set_language(self, user_id: int, language: str) -> None:
        await self.db.execute(
            "UPDATE users SET language = ?, language_chosen = 1 WHERE id = ?", (language, user_id)
        )

    async def mark_unreachable(self, user_id: int, now: datetime | None = None) -> None:
        stamp = (now or datetime.now(UTC)).isoformat()
        await self.db.execute("UPDATE users SET unreachable_at = ? WHERE id = ?", (stamp, user_id))

    async def count(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM users"))
