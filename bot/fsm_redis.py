"""Dialogue state in Redis (with REDIS_URL) that does not outlive its purpose: drafts of
unfinished forms are personal data."""

from __future__ import annotations

from datetime import timedelta

from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

PREFIX = "fsm"


class DraftRedisStorage(RedisStorage):
    """aiogram's RedisStorage whose records expire ``ttl`` after their last write (Redis
    erases an abandoned draft by itself), and which forgets a user at once when they delete
    their data.

    Keys are ``fsm:<bot id>:<chat id>[:<thread id>]:<user id>:state|data``: the user's id is
    always the part before the last.
    """

    def __init__(self, redis: Redis, *, ttl: timedelta) -> None:
        super().__init__(
            redis,
            key_builder=DefaultKeyBuilder(prefix=PREFIX, with_bot_id=True),
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
