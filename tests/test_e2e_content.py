"""End to end over HTTP: the staff keep the catalogue current from Telegram (a workbook down,
edited, up, its changes shown and applied, the new values on the card in both languages), and
teach the bot an answer (a staff answer made an FAQ entry that the next identical typed
question finds)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.emulator import FakeBotAPI, FakeUser
from tests.e2e import BotProcess
from tests.workbook import CAMPAIGN_2027, METALLURGY, edit

STAFF = 900
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot_process(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(STAFF))
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


async def metallurgy_card(user: FakeUser, section: str, label: str) -> str:
    user.send("/start")
    menu = await user.wait_reply()
    user.click(section, menu)
    listing = await user.wait_reply()
    user.click(label, listing)
    return str((await user.wait_reply())["text"])


async def test_the_staff_edit_the_catalogue_and_applicants_see_it_in_both_languages(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    staff = fake.user(STAFF, "Ольга", language_code="en", started=True)
    staff.send("/catalog")
    menu = await staff.wait_reply()
    staff.click("📥 Download the workbook", menu)
    sent = await staff.wait_reply()
    assert sent["document"]["file_name"] == "catalog-v1.xlsx"
    content = fake.files[sent["document"]["file_id"]].read()

    edited = edit(
        content,
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): 25,
            ("Даты приёма", CAMPAIGN_2027, "Конец приёма"): date(2027, 8, 20),
        },
    )
    staff.send_document("catalog-v1.xlsx", XLSX, content=edited)
    shown = await staff.wait_reply(timeout=30)
    assert "22.02.08: бюджетных мест: уточняется → 25" in shown["text"]
    assert "2027: конец приёма: 15.08.2027 → 20.08.2027" in shown["text"]
    staff.click("✅ Apply", shown)
    done = await staff.wait_reply()
    assert "Done: catalogue version №2" in done["text"]

    russian = fake.user(601, "Аня", language_code="ru")
    card = await metallurgy_card(russian, "🎓 Специальности", "22.02.08 · Металлургия")
    assert "Бюджетных мест: 25" in card
    english = fake.user(602, "Ann", language_code="en")
    card = await metallurgy_card(english, "🎓 Specialties", "22.02.08 · Metallurgy")
    assert "State-funded places: 25" in card
    english.send("/start")
    menu = await english.wait_reply()
    english.click("📋 How to apply", menu)
    assert "runs until 20 August 2027" in (await english.wait_reply())["text"]

    # A bad workbook: refused with every problem at its place, nothing changed.
    bad = edit(
        content,
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): -5,
            ("Даты приёма", CAMPAIGN_2027, "Оригиналы до"): date(2027, 6, 1),
        },
    )
    staff.send_document("catalog-v1.xlsx", XLSX, content=bad)
    refused = await staff.wait_reply(timeout=30)
    assert "The workbook was not accepted: 2 problems" in refused["text"]
    assert "«Специальности», row 2, column «Бюджетных мест» (P)" in refused["text"]
    assert "«Даты приёма», row 3, column «Оригиналы до» (F)" in refused["text"]
    assert fake.rejected == []


async def test_a_staff_answer_made_an_faq_entry_answers_the_next_identical_question(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    staff = fake.user(STAFF, "Ольга", language_code="en", started=True)
    staff.send("/start")  # known to the bot: the relay comes in English
    await staff.wait_reply()
    question = "Дают ли отсрочку от армии студентам?"
    asker = fake.user(601, "Аня", language_code="ru")
    mark = fake.mark()
    asker.send(question)
    offer = await asker.wait_reply()
    asker.click("✍️ Спросить приёмную комиссию", offer)
    confirm = await asker.wait_reply()
    asker.click("✅ Отправить", confirm)
    await asker.wait_reply()
    relay = await staff.wait_reply(after=mark, timeout=30)
    assert relay["text"].startswith("#Q1 · ")

    staff.click("✍️ Answer", relay)
    await staff.wait_reply()
    staff.send("Да, студентам очной формы дают отсрочку на время учёбы.")
    done = await staff.wait_reply()
    staff.click("➕ To the FAQ", done)
    entry = await staff.wait_reply()
    assert f"Question: «{question}»" in entry["text"]
    staff.send(
        "Do students get a deferment from the army?\n"
        "Yes, full-time students get a deferment while they study."
    )
    added = await staff.wait_reply()
    assert "Added to the FAQ" in added["text"]

    neighbour = fake.user(602, "Ваня", language_code="ru")
    neighbour.send(question)
    reply = await neighbour.wait_reply()
    assert "Да, студентам очной формы дают отсрочку на время учёбы." in reply["text"]
    english = fake.user(603, "Ann", language_code="en")
    english.send("Do students get a deferment from the army?")
    reply = await english.wait_reply()
    assert "Yes, full-time students get a deferment while they study." in reply["text"]
    assert fake.rejected == []
