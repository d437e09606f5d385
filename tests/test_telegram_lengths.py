"""Telegram measures a text or a caption after parsing its HTML, in UTF-16 code units: an emoji
outside the Basic Multilingual Plane counts twice. What the bot builds from user text must fit
by that measure, or Telegram refuses it (400) and the message is lost to its reader."""

from __future__ import annotations

from aiogram import Bot, Dispatcher

from bot.emulator import parse_html, utf16_len
from db.database import Database
from tests.client import UserClient
from tests.helpers import ask, relayed

CAPTION_LIMIT = 1024


async def test_a_caption_full_of_emoji_is_relayed_within_telegrams_limit(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await ask(english_user)
    # What Telegram lets a user send: 1024 UTF-16 units, here 400 emoji and 224 letters.
    caption = "😀" * 400 + "я" * 224
    assert utf16_len(caption) == CAPTION_LIMIT
    document = {"file_id": "doc-emoji", "file_unique_id": "u-emoji", "file_name": "a.pdf"}
    await english_user._act({"message": english_user._message(document=document, caption=caption)})
    [relay] = await relayed(dp, bot, chat_id=1)
    assert relay["method"] == "sendDocument"
    shown = parse_html(relay["caption"])[0]
    assert utf16_len(shown) <= CAPTION_LIMIT, utf16_len(shown)
    assert shown.startswith("#Q1 · ") and "😀" * 300 in shown  # shortened, not emptied
    assert await db.fetchval("SELECT text FROM questions") == caption  # stored whole


async def test_a_short_caption_with_emoji_is_relayed_whole(
    english_user: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await ask(english_user)
    caption = "Это мой аттестат 📄😀 подходит?"
    document = {"file_id": "doc-short", "file_unique_id": "u-short", "file_name": "a.pdf"}
    await english_user._act({"message": english_user._message(document=document, caption=caption)})
    [relay] = await relayed(dp, bot, chat_id=1)
    assert caption in relay["caption"] and "…" not in relay["caption"]
