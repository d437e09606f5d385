"""The staff's side of typed questions: what the bot could not answer, listed with counts in
/staff (within a college's scope, without the texts of those who deleted their data), and a
staff answer turned into an FAQ entry with one button, in both languages or Russian only, in a
new catalogue version that the search answers from at once."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from db.database import Database
from tests.client import UserClient, buttons
from tests.helpers import apply, join, person, relayed

ARMY_RU = "Дают ли отсрочку от армии?"
ARMY_EN = "Is there a deferment from the army?"
ANSWER_RU = "Да, студентам очной формы дают отсрочку на время учёбы."
ANSWER_EN = "Yes, full-time students get a deferment while they study."


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


@pytest.fixture
async def admin(dp: Dispatcher, bot: Bot) -> UserClient:
    client = UserClient(dp, bot, user_id=1, language_code="en")  # ADMIN_IDS=1
    await client.send("/start")  # known to the bot: the relays come in English
    return client


async def typed_and_sent(client: UserClient, text: str) -> None:
    """A question typed, not answered by the bot, sent to the committee after confirmation."""
    [reply] = await client.send(text)
    ask = next(label for label in labels(reply) if label.startswith("✍️"))
    [confirm] = await client.click(ask, reply)
    await client.click(labels(confirm)[0], confirm)  # «✅ Send»


async def answered(dp: Dispatcher, bot: Bot, admin: UserClient, text: str) -> dict[str, Any]:
    """The admin answers the relayed question; returns the confirmation."""
    [relay] = await relayed(dp, bot, chat_id=1)
    await admin.click("✍️ Answer", relay)
    [done] = await admin.send(text)
    assert "saved and queued" in done["text"]
    return done


async def test_a_staff_answer_becomes_an_faq_entry_that_answers_the_same_question(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient, db: Database
) -> None:
    await typed_and_sent(user, ARMY_RU)
    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    assert f"Question: «{ARMY_RU}»" in entry["text"] and ANSWER_RU in entry["text"]
    assert "take out names, phone numbers and anything personal" in entry["text"]
    [added] = await admin.send(f"{ARMY_EN}\n{ANSWER_EN}")
    assert "Added to the FAQ</b> (catalogue version №2)" in added["text"]
    row = await db.fetchone("SELECT loaded_by, source FROM catalog_versions WHERE id = 2")
    assert row is not None and (row["loaded_by"], row["source"]) == (1, "answer:1")

    # The next identical question, typed by anyone, is answered by the bot at once.
    [reply] = await person(dp, bot, 3001).send(ARMY_RU)  # an English reader
    assert ANSWER_EN in reply["text"] and ARMY_EN in reply["text"]
    neighbour = UserClient(dp, bot, user_id=3002, language_code="ru")
    [reply] = await neighbour.send(ARMY_RU)
    assert ANSWER_RU in reply["text"]
    assert "Источник: Ответ приёмной комиссии" in reply["text"]
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 1  # the first one only
    # It is one of the frequent questions too, and in the workbook.
    [menu] = await neighbour.send("/start")
    [contacts] = await neighbour.click("❓ Вопросы и контакты", menu)
    assert any(label.startswith("Дают ли отсрочку") for label in labels(contacts))


async def test_an_entry_kept_in_russian_only_tells_english_readers_so(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient
) -> None:
    await typed_and_sent(user, ARMY_RU)
    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    [added] = await admin.click("🇷🇺 Russian only", entry)
    assert "Added to the FAQ" in added["text"]
    [reply] = await person(dp, bot, 3001).send(ARMY_RU)
    assert "This answer is available in Russian only for now." in reply["text"]
    assert ANSWER_RU in reply["text"]


async def test_the_question_is_reworded_so_that_nothing_personal_goes_into_the_faq(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient, db: Database
) -> None:
    await typed_and_sent(user, "Я Иванов Пётр, 89131234567. " + ARMY_RU)
    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    [prompt] = await admin.click("✏️ Reword the question", entry)
    assert "Type the question as applicants will read it" in prompt["text"]
    [entry] = await admin.send(ARMY_RU)
    assert f"Question: «{ARMY_RU}»" in entry["text"]
    [added] = await admin.send(f"{ARMY_EN}\n{ANSWER_EN}")
    assert "Added to the FAQ" in added["text"]
    document = await db.fetchval("SELECT document FROM catalog_versions WHERE id = 2")
    assert "Иванов" not in document and "89131234567" not in document
    assert ARMY_RU in document


async def test_an_english_version_needs_a_question_and_an_answer(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient, db: Database
) -> None:
    await typed_and_sent(user, ARMY_RU)
    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    [hint] = await admin.send(ARMY_EN)  # the answer is missing
    assert "the question on the first line, the answer below it" in hint["text"]
    [cancelled] = await admin.click("✖️ Cancel", entry)
    assert "Not added to the FAQ" in cancelled["text"]
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1
    [after] = await admin.send(f"{ARMY_EN}\n{ANSWER_EN}")  # the dialogue is over
    assert "Added" not in after["text"]


async def test_the_same_question_twice_is_one_entry(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient, db: Database
) -> None:
    await typed_and_sent(user, ARMY_RU)
    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    await admin.click("🇷🇺 Russian only", entry)
    [entry] = await admin.click("➕ To the FAQ", done)
    [refused] = await admin.click("🇷🇺 Russian only", entry)
    assert "has an entry with this question already" in refused["text"]
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 2


async def test_an_answer_to_another_colleges_applicant_does_not_become_their_entry(
    dp: Dispatcher, bot: Bot, admin: UserClient, db: Database
) -> None:
    applicant = person(dp, bot, 3001)
    await apply(applicant, "Иванова Анна Сергеевна")  # 22.02.08: Norilsk Technical School
    await relayed(dp, bot, chat_id=1)  # the new application's post
    await typed_and_sent(applicant, ARMY_RU)
    await answered(dp, bot, admin, ANSWER_RU)
    taimyr = person(dp, bot, 2001)
    await join(admin, taimyr, "Taimyr College")
    [panel] = await taimyr.send("/staff")
    assert await taimyr.click_data("fn:new:1", panel) == []
    assert taimyr.answers()[-1]["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1


# --- what the bot could not answer ---------------------------------------------------------


async def not_understood(client: UserClient) -> str:
    [panel] = await client.send("/staff")
    [screen] = await client.click("❔ Not understood", panel)
    return str(screen["text"])


async def test_the_staff_see_what_the_bot_could_not_answer_with_counts(
    dp: Dispatcher, bot: Bot, admin: UserClient, user: UserClient
) -> None:
    for user_id, text in ((3001, "Есть ли бассейн?"), (3002, "бассейн есть"), (3002, "бассейн?")):
        await person(dp, bot, user_id).send(text)
    await typed_and_sent(user, ARMY_RU)
    screen = await not_understood(admin)
    assert "4 questions, 2 different." in screen
    assert "• «бассейн?» — 3 times, 2 people" in screen
    assert f"• «{ARMY_RU}» — 1 time, 1 person, 1 sent to the committee" in screen
    assert "✅" not in screen.split("✅: the bot")[0]

    done = await answered(dp, bot, admin, ANSWER_RU)
    [entry] = await admin.click("➕ To the FAQ", done)
    await admin.click("🇷🇺 Russian only", entry)
    screen = await not_understood(admin)
    assert f"• «{ARMY_RU}» — 1 time, 1 person, 1 sent to the committee ✅" in screen


async def test_the_list_keeps_to_the_colleges_scope_and_forgets_who_deleted_their_data(
    dp: Dispatcher, bot: Bot, admin: UserClient
) -> None:
    ntpts_applicant, other_applicant = person(dp, bot, 3001), person(dp, bot, 3002)
    await apply(ntpts_applicant, "Иванова Анна Сергеевна")
    await apply(other_applicant, "Петров Пётр Петрович", "21.02.18 · Mineral processing")
    await ntpts_applicant.send("Есть ли бассейн у техникума?")
    await other_applicant.send("Есть ли бассейн в ЗГУ?")
    anyone = person(dp, bot, 3003)
    await anyone.send("Можно ли жить с котом Барсиком?")

    ntpts = person(dp, bot, 2001)
    await join(admin, ntpts, "Norilsk Technical School")
    screen = await not_understood(ntpts)
    assert "у техникума" in screen and "Барсиком" in screen
    assert "в ЗГУ" not in screen  # another college's applicant
    assert "2 questions, 2 different." in screen
    assert "3 questions" in await not_understood(admin)

    [confirm] = await anyone.send("/delete_my_data")
    await anyone.click("Yes, delete everything", confirm)
    screen = await not_understood(admin)
    assert "Барсиком" not in screen
    assert "2 questions, 2 different." in screen
