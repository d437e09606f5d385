"""The staff's screens as one router tree behind the staff filter: every button answered once,
and whoever loses the role in the middle of a dialogue is refused at the next step, while
staff are never told «No access.» for what the tree leaves to other routers."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from db.database import Database
from handlers.callbacks import BroadcastCb
from tests.client import UserClient, buttons, labels
from tests.helpers import apply, ask, check_screen, join, person, relayed, start_applying


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot) -> UserClient:
    return UserClient(dp, bot, user_id=1, language_code="en")  # ADMIN_IDS=1


async def test_every_staff_button_is_answered_once(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    """A walk through every screen reachable from /staff: each press gets exactly one answer
    (aiogram's CallbackAnswerMiddleware; Telegram refuses a second one) and changes or sends
    something."""
    await apply(person(dp, bot, 3001), "Иванова Анна Сергеевна")
    await ask(person(dp, bot, 3002), "Есть ли общежитие?")
    await relayed(dp, bot, chat_id=1)
    [panel] = await admin.send("/staff")
    queue: deque[tuple[str, dict[str, Any]]] = deque((data, panel) for _, data in buttons(panel))
    seen: set[str] = set()
    while queue:
        data, message = queue.popleft()
        if data in seen or data.startswith(("rl:revoke", "bc:confirm")):
            continue
        seen.add(data)
        before = len(admin.session.calls)
        replies = await admin.click_data(data, message)
        calls = admin.session.calls[before:]
        answers = [c.params for c in calls if c.method == "answerCallbackQuery"]
        assert [a["callback_query_id"] for a in answers] == [admin.last_query_id], data
        assert [c for c in calls if c.method != "answerCallbackQuery"], data
        for reply in replies:
            check_screen(reply)
            queue.extend((next_data, reply) for _, next_data in buttons(reply))
    assert len(seen) > 40
    assert {d.split(":")[0] for d in seen} >= {"sq", "sa", "sr", "rl", "bc", "q"}


async def test_a_member_revoked_while_typing_a_comment_is_refused(
    dp: Dispatcher, bot: Bot, admin: UserClient, db: Database
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "all colleges")
    await apply(person(dp, bot, 3001), "Иванова Анна Сергеевна")
    [panel] = await member.send("/staff")
    [queue] = await member.click("📥 All applications", panel)
    [card] = await member.click("M-2027-0001 · Иванова А. С.", queue)
    await member.click("✏️ Ask to correct", card)
    await dp["staff"].revoke(2001)
    [refusal] = await member.send("Пересняйте паспорт")
    assert refusal["text"] == "No access."
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
    [after] = await member.send("Пересняйте паспорт")  # the dialogue is over
    assert after["text"] != "No access." and "Status" not in after["text"]


async def test_a_member_revoked_while_typing_an_answer_is_refused(
    dp: Dispatcher, bot: Bot, admin: UserClient, db: Database
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "all colleges")
    await ask(person(dp, bot, 3002), "Есть ли общежитие?")
    [screen] = await member.click_data("q:list:0", (await member.send("/staff"))[0])
    [card] = await member.click("№1", screen)
    await member.click("✍️ Answer", card)
    await dp["staff"].revoke(2001)
    [refusal] = await member.send("Да, есть.")
    assert refusal["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0
    [after] = await member.send("Да, есть.")
    assert after["text"] != "No access."


async def test_staff_typing_while_choosing_the_broadcast_segment_are_not_refused(
    admin: UserClient,
) -> None:
    """The tree has no handler for text at that step: it goes on to the other routers (the
    fallback's hint), never to the «No access.» meant for whoever is not staff."""
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [english] = await admin.send("Open doors on Saturday")
    [kinds] = await admin.click("No English version", english)
    assert "Who should receive it?" in kinds["text"]
    [hint] = await admin.send("Saturday, 10:00")
    assert hint["text"] != "No access."
    [segments] = await admin.click_data(BroadcastCb(action="segments").pack(), kinds)
    assert "Who should receive it?" in segments["text"]  # still being prepared


async def test_a_stranger_pressing_a_forwarded_broadcast_button_keeps_their_own_dialogue(
    dp: Dispatcher, bot: Bot
) -> None:
    """«No access.», and an unfinished application of theirs stays as it was."""
    stranger = person(dp, bot, 5001)
    await start_applying(stranger)
    await stranger.send("Иванова Анна Сергеевна")
    [menu] = await stranger.send("/start")
    assert await stranger.click_data(BroadcastCb(action="new").pack(), menu) == []
    assert stranger.answers()[-1]["text"] == "No access."
    [menu] = await stranger.send("/start")
    [offer] = await stranger.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"]
    assert "▶️ Continue" in labels(offer)


async def test_counts_on_the_staff_screens_agree_with_their_number_in_russian(
    dp: Dispatcher, bot: Bot
) -> None:
    """«1 заявление», «2 вопроса», «5 вопросов»: the number decides the form of the word."""
    admin = UserClient(dp, bot, user_id=1, language_code="ru")
    await apply(person(dp, bot, 3001), "Иванова Анна Сергеевна")
    for n, asker in enumerate((3002, 3003)):
        await ask(person(dp, bot, asker), f"Вопрос {n}")
    [panel] = await admin.send("/staff")
    assert "Всего 1 заявление" in panel["text"]
    assert "❓ 2 вопроса" in labels(panel)
    [queue] = await admin.click("📥 Все заявления", panel)
    assert "Найдено 1 заявление" in queue["text"]
    [screen] = await admin.click("❓ 2 вопроса", panel)
    assert "Без ответа: 2 вопроса" in screen["text"]
    for n, asker in enumerate((3004, 3005, 3006)):
        await ask(person(dp, bot, asker), f"Ещё вопрос {n}")
    [panel] = await admin.send("/staff")
    assert "❓ 5 вопросов" in labels(panel)
