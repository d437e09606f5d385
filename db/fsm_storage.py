"""aiogram FSM storage in SQLite: a restart in the middle of a dialogue loses nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from db.database import Database
from db.outbox import utc


def storage_key_id(key: StorageKey) -> str:
    """A stable text id for every field of the key (none of them may be dropped)."""
    return ":".join(
        str(part) if part is not None else ""
        for part in (
            key.bot_id,
            key.chat_id,
            key.thread_id,
            key.user_id,
            key.business_connection_id,
            key.destiny,
        )
    )


class SQLiteStorage(BaseStorage):
    """State and data of every FSM key in the ``fsm`` table; data is a JSON object.

    Values must be JSON-serialisable (str, int, float, bool, None, lists, dicts):
    a value that is not is refused at once rather than lost at the next restart.

    Every write stamps ``updated_at``: the retention job erases what nobody touched for
    RETENTION_DAYS (drafts of abandoned forms are personal data).
    """

    def __init__(self, db: Database, now: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.now = now or (lambda: datetime.now(UTC))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        now = utc(self.now())
        async with self.db.transaction():
            await self.db.execute(
                """
                INSERT INTO fsm (key, user_id, state, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET state = excluded.state,
                                                updated_at = excluded.updated_at
                """,
                (storage_key_id(key), key.user_id, value, now),
            )
            await self.db.execute("DELETE FROM fsm WHERE state IS NULL AND data = '{}'")

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.db.fetchval("SELECT state FROM fsm WHERE key = ?", (storage_key_id(key),))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        encoded = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
        now = utc(self.now())
        async with self.db.transaction():
            await self.db.execute(
                """
                INSERT INTO fsm (key, user_id, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET data = excluded.data,
                                                updated_at = excluded.updated_at
                """,
                (storage_key_id(key), key.user_id, encoded, now),
            )
            await self.db.execute("DELETE FROM fsm WHERE state IS NULL AND data = '{}'")

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self.db.fetchval("SELECT data FROM fsm WHERE key = ?", (storage_key_id(key),))
        return {} if raw is None else json.loads(raw)

    async def forget_user(self, user_id: int) -> None:
        """Drop every FSM record of a user (used when they delete their data)."""
        await self.db.execute("DELETE FROM fsm WHERE user_id = ?", (user_id,))

    async def close(self) -> None:
        """The database is owned and closed by the composition root, not by the storage."""
