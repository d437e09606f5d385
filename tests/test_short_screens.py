"""What an applicant reads before applying fits a phone screen: the menu, «How to apply» and
each of its pages, and the consent in short are under 600 characters each, in both languages
and at every phase of the admission; the full consent is one tap away."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram import Bot, Dispatcher

from bot.emulator.entities import parse_html
from tests.client import UserClient, buttons
from tests.conftest import FixedClock

SCREEN_MAX = 600  # characters a phone shows without scrolling far


def length(message: dict[str, object]) -> int:
    return len(parse_html(str(message["text"]))[0])


def label(message: dict[str, object], start: str) -> str:
    return next(text for text, _ in buttons(message) if text.startswith(start))


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("today", [date(2026, 11, 26), date(2027, 7, 1), date(2027, 9, 13)])
async def test_how_to_apply_and_the_consent_fit_a_phone_screen(
    dp: Dispatcher, bot: Bot, clock: FixedClock, language: str, today: date
) -> None:
    clock.set_local_date(today)
    user = UserClient(dp, bot, user_id=5001, language_code=language)
    [menu] = await user.send("/start")
    lengths = {"menu": length(menu)}
    [howto] = await user.click(label(menu, "📋"), menu)
    lengths["how to apply"] = length(howto)
    pages = [(text, data) for text, data in buttons(howto) if data.startswith("ht:")]
    assert len(pages) >= 5  # documents, dates, ranking, Gosuslugi, medical certificate
    for text, _data in pages:
        [page] = await user.click(text, howto)
        lengths[text] = length(page)
    [consent] = await user.click(label(menu, "📝"), menu)
    lengths["consent"] = length(consent)
    assert {name: n for name, n in lengths.items() if n > SCREEN_MAX} == {}
    [full] = await user.click(label(consent, "📄"), consent)
    assert length(full) > lengths["consent"]  # the whole text, with the operators
