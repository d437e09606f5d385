"""An English-speaking user reads no Russian: every message, button and pop-up shown to them,
from /start through every screen, the application form, «My application» and the notices
of the staff's decisions, is in English. Allowed: what the user typed themselves (their name),
the language's own name on the language button («Русский»), and an official Russian name in
parentheses after its translation («Career test (профпроба)»)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from aiogram import Bot, Dispatcher

from bot.domain.catalog import default_catalog_bytes, parse_catalog, untranslated_sources
from tests.client import UserClient, buttons
from tests.helpers import fill_form, open_card, sender_of, submit

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# An official Russian name after its English translation: «…Career test (профпроба)».
NAME_AFTER_TRANSLATION = re.compile(r"(?<=[A-Za-z)»] )\((?:«[^»]*»|[^()]*)\)")
LANGUAGE_NAMES = {"Русский"}
USER_ID = 2102
TYPED_NAME = "Иванова Анна Сергеевна"


def leaks(text: str, typed: set[str]) -> list[str]:
    """The lines of ``text`` with Cyrillic that is none of the allowed kinds."""
    found = []
    for line in text.splitlines():
        rest = line
        for value in typed | LANGUAGE_NAMES:
            rest = rest.replace(value, "")
        rest = NAME_AFTER_TRANSLATION.sub("", rest)
        if CYRILLIC.search(rest):
            found.append(line.strip())
    return found


def shown_to(user: UserClient) -> list[str]:
    """Everything the bot showed the user: texts, captions, button labels, pop-ups."""
    chat = user.user["id"]
    shown: list[str] = []
    for call in user.session.calls:
        params = call.params
        if call.method == "answerCallbackQuery":
            shown.append(str(params.get("text") or ""))
            continue
        if params.get("chat_id") != chat:
            continue
        shown.append(str(params.get("text") or params.get("caption") or ""))
        markup = params.get("reply_markup")
        rows = getattr(markup, "inline_keyboard", None) or getattr(markup, "keyboard", None) or []
        shown += [button.text for row in rows for button in row]
    return shown


async def walk(user: UserClient, start: dict[str, Any], avoid: tuple[str, ...]) -> int:
    """Press every button reachable from ``start`` once, except the data starting with one of
    ``avoid``; the number pressed."""
    queue = deque((data, start) for _, data in buttons(start))
    seen: set[str] = set()
    while queue:
        data, message = queue.popleft()
        if data in seen or data.startswith(avoid):
            continue
        seen.add(data)
        for reply in await user.click_data(data, message):
            queue.extend((d, reply) for _, d in buttons(reply) if d not in seen)
    return len(seen)


async def test_an_english_user_reads_no_russian_from_start_to_enrolment(
    dp: Dispatcher, bot: Bot
) -> None:
    user = UserClient(dp, bot, user_id=USER_ID, language_code="en")
    [start] = await user.send("/start")
    # Every screen reachable from the menu (not switching to Russian, not the form).
    assert await walk(user, start, avoid=("lang:ru", "ap:", "cs:")) > 40

    # The form, with a name typed in Russian as in the passport, and a mistake on the way.
    review = await fill_form(user, name=TYPED_NAME)
    await user.send_sticker()
    mine = await submit(user, review)
    await walk(user, mine, avoid=("lang:ru", "ap:", "af:", "ma:edit", "ma:withdraw", "ma:delete"))

    # The staff's decisions reach the applicant as notices.
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    card = await open_card(admin)
    [card] = await admin.click("✅ Accept documents", card)
    [confirm] = await admin.click("🎓 Enrol…", card)
    await admin.click("✅ Yes, enrol to 22.02.08", confirm)
    await sender_of(dp).drain(bot)
    [menu] = await user.send("/start")
    [mine] = await user.click("📄 My application", menu)

    shown = shown_to(user)
    assert any("Congratulations" in text for text in shown)  # the notices were read too
    found = sorted({line for text in shown for line in leaks(text, {TYPED_NAME})})
    assert found == [], "\n".join(found)


def test_the_check_finds_russian_and_allows_names_after_translations() -> None:
    assert leaks("Source: Порядок приема", set()) == ["Source: Порядок приема"]
    assert leaks("Form 086/у", set()) == ["Form 086/у"]  # a Cyrillic у in «086/у»
    assert leaks("the cluster «Металлургия»", set()) == ["the cluster «Металлургия»"]
    assert leaks("Career test (профпроба)", set()) == []
    assert leaks("the Metallurgy cluster («Металлургия»)", set()) == []
    assert leaks("Name: Иванова Анна", {"Иванова Анна"}) == []


def test_every_source_of_the_shipped_catalogue_has_an_english_name() -> None:
    catalog, problems = parse_catalog(default_catalog_bytes().decode("utf-8"))
    assert catalog is not None, problems
    assert untranslated_sources(catalog) == []
    assert len(catalog.source_names) >= 5
