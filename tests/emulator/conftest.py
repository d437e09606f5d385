from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.emulator import FakeBotAPI, FakeUser
from tests.emulator.api import CHAT, Api


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.expect_rejections()  # these tests are about what the emulator refuses
        yield server


@pytest.fixture
async def api(fake: FakeBotAPI) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, fake)


@pytest.fixture
def user(fake: FakeBotAPI) -> FakeUser:
    """A user who has started the bot before the test (the bot may write to them)."""
    return fake.user(CHAT, first_name="Аня", started=True)
