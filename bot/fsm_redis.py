"""Dialogue state in Redis (with REDIS_URL) that does not outlive its purpose: drafts of
unfinished forms are personal data."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Literal

from aiogram.fsm.storage.base import DEFAULT_DESTINY, DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

PREFIX = "fsm"


class DestinyKeyBuilder(DefaultKeyBuilder):
    """aiogram's keys (``fsm:<bot id>:<chat id>[:<thread id>]:<user id>:state|data``) for the
    default destiny; another destiny (the application's draft) goes right after the prefix,
    ``fsm:form:<bot id>:…``, so that the user's id stays the part before the last either way
    and the keys written before destinies were used keep their names."""

    def __init__(self) -> None:
        super().__init__(prefix=PREFIX, with_bot_id=True)

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        built = super().build(replace(key, destiny=DEFAULT_DESTINY), part)
        if key.destiny == DEFAULT_DESTINY:
            return built
        return f"{self.prefix}{self.separator}{key.destiny}{built[len(self.prefix) :]}"


class DraftRedisStorage(RedisStorage):
    """aiogram's RedisStorage whose records expire ``ttl`` after their last write (Redis
    erases an abandoned draft by itself), and which forgets a user at once when they delete
    their data.

    Keys are ``fsm[:<destiny>]:<bot id>:<chat id>[:<thread id>]:<user id>:state|data``: the
    user's id is always the part before the last.
    """

    def __init__(self, redis: Redis, *, ttl: timedelta) -> None:
        super().__init__(
            redis,
            key_builder=DestinyKeyBuilder(),
            state_ttl=ttl,
            data_ttl=ttl,
        )

    async def users_with_drafts(self) -> set[int]:
        """Who has any state or data left (Redis drops what expired): one pass over the keys."""
        users: set[int] = set()
        for part in ("state", "data"):
            async for key in self.redis.scan_iter(f"{PREFIX}:*:{part}", count=1000):
                text = key.decode() if isinstance(key, bytes) else str(key)
                user = text.split(":")[-2]
                if user.lstrip("-").isdigit():
                    users.add(int(user))
        return users

    async def forget_user(self, user_id: int) -> None:
        """Delete every state and draft of the user, in any chat."""
        for part in ("state", "data"):
            keys = [key async for key in self.redis.scan_iter(f"{PREFIX}:*:{user_id}:{part}")]
            if keys:
                await self.redis.delete(*keys)
