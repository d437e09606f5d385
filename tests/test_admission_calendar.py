"""Every date the bot shows comes from the campaign calendar and the clock: «Remind me» on
13 September does not promise a reminder for a June already past, and after the main
acceptance the bot says what is still possible (remaining places, the next campaign)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.client import UserClient
from tests.conftest import FixedClock

METALLURGY = {"ru": "22.02.08 · Металлургия", "en": "22.02.08 · Metallurgy"}
SPECIALTIES = {"ru": "🎓 Специальности", "en": "🎓 Specialties"}
REMIND = {"ru": "🔔 Напомнить о начале приёма", "en": "🔔 Remind me when admission opens"}


async def remind_me(client: UserClient, language: str) -> str:
    [menu] = await client.send("/start")
    [listing] = await client.click(SPECIALTIES[language], menu)
    [card] = await client.click(METALLURGY[language], listing)
    await client.click(REMIND[language], card)
    toast = client.answers()[-1]["text"]
    assert len(toast) <= 200  # a callback answer's limit
    return toast


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (
            date(2026, 11, 26),
            "I will remind you before admission 2027 opens: no later than 20 June 2027.",
        ),
        (
            date(2027, 7, 1),
            "Admission 2027 is open now, until 15 August 2027: you can apply. I will remind you "
            "before it ends.",
        ),
        (
            date(2027, 9, 13),
            "Admission 2027 is over; remaining state-funded places are filled until "
            "25 November 2027. I will "
            "remind you once the dates of the next admission are announced.",
        ),
        (
            date(2026, 9, 13),
            "Admission 2026 is over; remaining state-funded places are filled until "
            "25 November 2026. I will "
            "remind you before admission 2027 opens: no later than 20 June 2027.",
        ),
    ],
)
async def test_remind_me_promises_only_what_is_still_ahead(
    english_user: UserClient, clock: FixedClock, today: date, expected: str
) -> None:
    clock.set_local_date(today)
    assert await remind_me(english_user, "en") == expected


async def test_remind_me_on_13_september_in_russian_names_no_past_date(
    user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(date(2027, 9, 13))
    toast = await remind_me(user, "ru")
    assert toast == (
        "Приём 2027 года завершён; на оставшиеся бюджетные места документы принимают до "
        "25 ноября 2027. "
        "Напомню, когда объявят сроки следующей приёмной кампании."
    )
    assert "июня" not in toast


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_after_the_main_acceptance_how_to_apply_says_what_is_still_possible(
    dp: object, clock: FixedClock, user: UserClient, english_user: UserClient, language: str
) -> None:
    client = user if language == "ru" else english_user
    clock.set_local_date(date(2027, 9, 13))
    [menu] = await client.send("/start")
    assert "2026" not in menu["text"]  # no «first intake in 2026» a year later
    label = {"ru": "📋 Как поступить", "en": "📋 How to apply"}[language]
    [screen] = await client.click(label, menu)
    expected = {
        "ru": [
            "Основной приём 2027 закончился 15 августа 2027.",
            "до 25 ноября 2027",
            "Даты следующего приёма пока не объявлены.",
        ],
        "en": [
            "The main admission 2027 ended on 15 August 2027.",
            "Where state-funded places remain, documents are still accepted until "
            "25 November 2027: you can apply for them.",
            "The dates of the next admission are not announced yet.",
        ],
    }[language]
    for line in expected:
        assert line in screen["text"], screen["text"]
    assert ("20 июня" if language == "ru" else "20 June") not in screen["text"]
