"""Telegram's flood limits in the emulator (opt-in)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram.exceptions import TelegramRetryAfter

from bot.emulator import FakeBotAPI, FakeUser, TelegramLimits
from bot.emulator.limits import SlidingWindow
from tests.emulator.api import CHAT, Api, bot_for

# --- Telegram's limits (opt-in) ----------------------------------------------------------------

NO_LATENCY = (0.0, 0.0)


@pytest.fixture
async def limited_api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    """An :class:`Api` on a fake with limits (``@pytest.mark.parametrize`` them indirectly)."""
    limits = getattr(request, "param", TelegramLimits(latency=NO_LATENCY))
    async with FakeBotAPI(limits=limits) as server, aiohttp.ClientSession() as http:
        yield Api(http, server)


async def test_limits_are_off_by_default(api: Api, user: FakeUser) -> None:
    for text in ("1", "2", "3"):
        await api.send(text)
    assert api.fake.limits is None
    assert api.fake.too_many_requests == 0
    assert api.fake.delivered_count(CHAT) == 3


async def test_within_the_limits_everything_is_delivered(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users(range(1, 6), started=True)
    for chat_id in range(1, 6):
        await limited_api.send(f"to {chat_id}", chat_id=chat_id)
    assert fake.too_many_requests == 0
    assert fake.delivered_total == 5
    assert [fake.delivered_count(chat_id) for chat_id in range(1, 7)] == [1, 1, 1, 1, 1, 0]
    assert fake.chats[3][0]["text"] == "to 3"


async def test_a_second_message_to_one_chat_within_a_second_is_refused(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT, CHAT + 1], started=True)
    await limited_api.send("first")
    status, body = await limited_api.raw("sendMessage", json={"chat_id": CHAT, "text": "second"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert [m["text"] for m in fake.chats[CHAT]] == ["first"]
    assert fake.delivered_count(CHAT) == 1
    assert fake.too_many_requests == 1
    assert fake.rejected[-1].error_code == 429
    await limited_api.send("another chat is fine", chat_id=CHAT + 1)


@pytest.mark.parametrize(
    "limited_api",
    [TelegramLimits(per_bot_per_second=3, retry_after=5, latency=NO_LATENCY)],
    indirect=True,
)
async def test_the_bot_wide_limit_applies_across_chats(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users(range(1, 5), started=True)
    for chat_id in (1, 2, 3):
        await limited_api.send("ok", chat_id=chat_id)
    status, body = await limited_api.raw("sendMessage", json={"chat_id": 4, "text": "no"})
    assert status == 429
    assert body["description"] == "Too Many Requests: retry after 5"
    assert body["parameters"] == {"retry_after": 5}
    assert fake.chats[4] == []
    assert fake.delivered_total == 3
    assert fake.too_many_requests == 1


async def test_refused_and_failed_requests_do_not_use_up_the_limit(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT], started=True)
    await limited_api.error("sendMessage", 400, chat_id=CHAT, text="<b>unclosed", parse_mode="HTML")
    await limited_api.send("delivered")
    for _ in range(3):
        await limited_api.error("sendMessage", 429, chat_id=CHAT, text="again")
    assert fake.delivered_count(CHAT) == 1
    assert fake.too_many_requests == 3


async def test_every_sending_method_is_limited(limited_api: Api) -> None:
    fake = limited_api.fake
    source = fake.user(1, started=True).send("forward me")
    photo = fake.add_file(b"jpeg", kind="photo").file_id
    document = fake.add_file(b"pdf", kind="document").file_id
    media = [{"type": "photo", "media": photo}, {"type": "photo", "media": photo}]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("sendMessage", {"text": "x"}),
        ("sendPhoto", {"photo": photo}),
        ("sendDocument", {"document": document}),
        ("sendMediaGroup", {"media": media}),
        ("copyMessage", {"from_chat_id": 1, "message_id": source["message_id"]}),
        ("forwardMessage", {"from_chat_id": 1, "message_id": source["message_id"]}),
    ]
    for chat_id, (method, params) in enumerate(calls, start=10):
        fake.user(chat_id, started=True)
        await limited_api.ok(method, chat_id=chat_id, **params)
        await limited_api.error(method, 429, chat_id=chat_id, **params)
    assert fake.too_many_requests == len(calls)
    # Other methods are not limited: an edit right after a send goes through.
    sent = fake.chats[10][0]
    await limited_api.ok("editMessageText", chat_id=10, message_id=sent["message_id"], text="y")


@pytest.mark.parametrize(
    "limited_api", [TelegramLimits(latency=(0.1, 0.1), per_chat_per_second=1)], indirect=True
)
async def test_sending_methods_are_answered_after_the_latency(limited_api: Api) -> None:
    limited_api.fake.add_users([CHAT], started=True)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await limited_api.send("slow")
    assert loop.time() - started >= 0.09
    started = loop.time()
    await limited_api.error("sendMessage", 429, chat_id=CHAT, text="refused, slowly too")
    assert loop.time() - started >= 0.09


@pytest.mark.parametrize(
    "limited_api", [TelegramLimits(latency=NO_LATENCY, count_edits=True)], indirect=True
)
async def test_with_count_edits_an_edit_counts_like_a_message(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT], started=True)
    sent = await limited_api.send("first")
    await limited_api.error(
        "editMessageText", 429, chat_id=CHAT, message_id=sent["message_id"], text="too soon"
    )
    assert fake.too_many_requests == 1 and fake.chats[CHAT][0]["text"] == "first"


async def test_a_real_bot_gets_telegram_retry_after(limited_api: Api) -> None:
    fake = limited_api.fake
    fake.add_users([CHAT], started=True)
    bot = bot_for(fake)
    try:
        await bot.send_message(CHAT, "one")
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(CHAT, "two")
        assert retry.value.retry_after == 1
    finally:
        await bot.session.close()
    assert fake.delivered_count(CHAT) == 1


def test_sliding_window_is_exact() -> None:
    per_second = SlidingWindow(2)
    for now in (10.0, 10.4):
        assert per_second.allows(now)
        per_second.add(now)
    assert not per_second.allows(10.99)
    assert per_second.allows(11.0)  # the event at 10.0 left the window [10.0, 11.0)
    per_second.add(11.0)
    assert not per_second.allows(11.3)
    slow = SlidingWindow(20 / 60)  # a group: one message per 3 seconds
    slow.add(0.0)
    assert not slow.allows(2.9)
    assert slow.allows(3.0)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="positive"):
        TelegramLimits(per_chat_per_second=0)
    with pytest.raises(ValueError, match="latency"):
        TelegramLimits(latency=(0.05, 0.02))
