"""End to end over HTTP: a whole application through the real bot process, with wrong answers,
a kill -9 in the middle, a double click on Submit, the staff post, rankings and deletion."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import FakeBotAPI, FakeUser
from tests.e2e import BotProcess
from tests.helpers import database_bytes

STAFF = 9000


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.user(STAFF, "Приёмная", language_code="ru", started=True)  # has used the bot
        yield server


@pytest.fixture
async def bot_process(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(STAFF))
    await process.start()
    try:
        yield process
    finally:
        if process.process and process.process.returncode is None:
            await process.kill()


async def answer(user: FakeUser, text: str, count: int = 1) -> list[dict[str, Any]]:
    user.send(text)
    return await user.wait_replies(count)


async def press(user: FakeUser, label: str, message: dict[str, Any]) -> dict[str, Any]:
    user.click(label, message)
    return await user.wait_reply()


async def phone_given(user: FakeUser) -> tuple[dict[str, Any], dict[str, Any]]:
    """After the phone is sent: the confirmation and the next question. The reply keyboard
    goes by a message deleted at once; waited for, so that it is no reply to a later action."""
    saved, following, removal = await user.wait_replies(3)
    assert removal["reply_markup"] == {"remove_keyboard": True}
    await user.fake.wait_for(
        lambda: any(m["deleted"] for m in user.messages(include_deleted=True)),
        what="the reply keyboard's removal deleted",
    )
    return saved, following


# An adult, one specialty, one photo per document: from /start to the application number.
# Every entry is one interaction (a tap, a typed answer or a file).
QUICK_PATH: tuple[tuple[str, str], ...] = (
    ("send", "/start"),
    ("click", "📝 Apply"),
    ("click", "✅ I agree"),
    ("send", "{name}"),
    ("send", "01.02.2001"),
    ("send", "+7 913 555 00 11"),
    ("click", "After 11 classes"),
    ("send", "{score}"),
    ("click", "22.02.08 · Metallurgy"),
    ("click", "✅ Done"),
    ("click", "No"),
    ("click", "Only here"),
    ("photo", "passport"),
    ("photo", "certificate"),
    ("photo", "photo"),
    ("click", "✅ Submit"),
)


async def apply_quickly(user: FakeUser, score: str, name: str = "Петрова Мария") -> dict[str, Any]:
    """A valid application for 22.02.08, in English, along ``QUICK_PATH``; returns «My
    application»."""
    screen: dict[str, Any] = {}
    for action, value in QUICK_PATH:
        if action == "click":
            screen = await press(user, value, screen)
        elif action == "photo":
            user.send_photo()
            screen = await user.wait_reply()
        elif value.startswith("+7"):
            user.send(value)
            _saved, screen = await phone_given(user)
        else:
            screen = (await answer(user, value.format(name=name, score=score)))[0]
    return screen


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


async def test_a_whole_application_with_wrong_answers_a_restart_and_a_double_submit(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    user = fake.user(601, "Аня", language_code="en")
    menu = (await answer(user, "/start"))[0]
    consent = await press(user, "📝 Apply", menu)
    assert "Consent to the processing of personal data" in consent["text"]
    name_q = await press(user, "✅ I agree", consent)
    assert "Your full name" in name_q["text"]

    assert "from 2 to 4 words" in (await answer(user, "Аня"))[0]["text"]
    user.send_sticker()
    assert "text message" in (await user.wait_reply())["text"]
    assert "Date of birth" in (await answer(user, "Смирнова Анна Петровна"))[0]["text"]
    assert "no such date" in (await answer(user, "30.02.2004"))[0]["text"]
    phone_q = (await answer(user, "15.04.2004"))[0]
    assert phone_q["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert "Russian phone" in (await answer(user, "+380 44 123 4567"))[0]["text"]
    user.send_contact("+79135550000")
    saved, base_q = await phone_given(user)
    assert saved["text"] == "Phone number: +7 913 555-00-00 ✅"
    assert user.reply_keyboard is None  # gone with its step
    score_q = await press(user, "After 9 classes", base_q)
    assert "Average score" in score_q["text"]
    assert "as a number" in (await answer(user, "пять"))[0]["text"]
    picker = (await answer(user, "4,67"))[0]
    picker = await press(user, "22.02.08 · Metallurgy", picker)
    picker = await press(user, "13.02.07 · Power supply", picker)
    dorm = await press(user, "✅ Done", picker)
    channel = await press(user, "Yes, I need one", dorm)
    passport_q = await press(user, "Also on Gosuslugi", channel)
    assert "Passport" in passport_q["text"]

    await bot_process.restart()  # kill -9 in the middle of the documents

    assert "photo or a PDF" in (await answer(user, "паспорт потом"))[0]["text"]
    user.send_document("scan.zip", "application/zip", 1000)
    assert "is not accepted" in (await user.wait_reply())["text"]
    user.send_photo()  # one page: on to the next document by itself
    assert "Document 2 of 4" in (await user.wait_reply())["text"]
    user.send_document("certificate.pdf", "application/pdf", 150_000)
    assert "Document 3 of 4" in (await user.wait_reply())["text"]
    user.send_photo()
    medical = await user.wait_reply()
    assert "Document 4 of 4\nMedical certificate (form 086/u)" in medical["text"]
    review = await press(user, "⏭ Later", medical)
    assert "Please check your application" in review["text"]
    assert "Смирнова Анна Петровна" in review["text"] and "4.67" in review["text"]

    # Two quick clicks on Submit: both updates are in the queue before the bot reads either.
    first = user.click("✅ Submit", review)
    second = user.click("✅ Submit", review)
    await fake.wait_callback_answered(first)
    answer_to_second = await fake.wait_callback_answered(second)
    assert answer_to_second.get("text") == "Your application has already been submitted."
    [(number, status)] = query(db, "SELECT number, status FROM applications")
    assert re.fullmatch(r"М-20\d\d-0001", number) and status == "submitted"

    # The staff get the summary and the three documents (the sender runs in the process).
    staff = fake.user(STAFF)
    await fake.wait_for(lambda: len(staff.messages()) >= 4, what="the staff post")
    summary = staff.messages()[0]
    assert number in summary["text"] and "Смирнова Анна Петровна" in summary["text"]
    assert sorted(m["method"] for m in staff.messages()[1:4]) == [
        "sendDocument",
        "sendPhoto",
        "sendPhoto",
    ]
    log = bot_process.log()  # at DEBUG level, and still no personal data in it
    for secret in ("Смирнова", "Анна Петровна", "79135550000", "15.04.2004", "2004-04-15"):
        assert secret not in log, secret


async def test_an_adult_with_one_specialty_gets_the_number_in_at_most_16_interactions(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    assert len(QUICK_PATH) <= 16  # taps, typed answers and files, each counted once
    user = fake.user(602, "Оля", language_code="en")
    mine = await apply_quickly(user, "4,5")
    assert "Your application is submitted" in mine["text"]
    assert re.search(r"Application M-20\d\d-0001", mine["text"])  # a Latin M in English
    assert query(tmp_path / "bot.sqlite3", "SELECT count(*) FROM documents") == [(3,)]


async def test_rankings_for_several_applicants_and_deleting_leaves_no_trace(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    users = {701: "4.20", 702: "4.90", 703: "3.50"}
    screens = {}
    for user_id, score in users.items():
        name = "Зюзюкина Снежана" if user_id == 702 else "Петрова Мария"
        screens[user_id] = await apply_quickly(fake.user(user_id, language_code="en"), score, name)
    best = fake.user(702)
    refreshed = await press(best, "🔄 Refresh", screens[702])
    assert "22.02.08 · Metallurgy: you are 1 of 3" in refreshed["text"]
    middle = await press(fake.user(701), "🔄 Refresh", screens[701])
    assert "you are 2 of 3" in middle["text"]
    last = await press(fake.user(703), "🔄 Refresh", screens[703])
    assert "you are 3 of 3" in last["text"]

    question = await press(best, "🗑 Delete my data", refreshed)
    deleted = await press(best, "Yes, delete everything", question)
    assert "deleted" in deleted["text"]
    middle = await press(fake.user(701), "🔄 Refresh", middle)
    assert "you are 1 of 2" in middle["text"]

    assert await bot_process.stop() == 0
    db = tmp_path / "bot.sqlite3"
    assert query(db, "SELECT count(*) FROM applications WHERE user_id = 702") == [(0,)]
    raw = database_bytes(db)
    assert "Зюзюкина".encode() not in raw and "Снежана".encode() not in raw
    assert "Петрова".encode() in raw  # the others' data is still there: the scan is real
    assert query(db, "SELECT count(*) FROM consents WHERE user_id = 702") == [(0,)]
    assert query(db, "SELECT count(*) FROM users WHERE id = 702") == [(0,)]


async def test_messages_due_while_the_bot_was_down_are_sent_after_start_despite_errors(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """Rows already due in the outbox go out when the bot starts; a 500 and a 429 on the way
    delay them, and nothing is lost or sent twice."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.app import prepare_database
    from bot.services.applications import change_status
    from db.applications import ApplicationData, ApplicationRepository

    db = await prepare_database(tmp_path / "bot.sqlite3")
    try:
        repo = ApplicationRepository(db)
        now = datetime.now(UTC)
        data = ApplicationData(
            full_name="Орлова Вера", birth_date=datetime(2001, 1, 1).date(), phone="+79135550101",
            email=None, education_base=11, average_score=Decimal("4.5"),
            specialties=("22.02.08",), dormitory=False, channel="bot", minor=False,
        )  # fmt: skip
        application_id, _ = await repo.submit(
            user_id=801, campaign_year=2027, data=data, documents=[], now=now, notices=[]
        )
        application = await repo.get(application_id)
        assert application is not None
        await change_status(repo, application, "accepted", now, actor_id=STAFF)
    finally:
        await db.close()

    user = fake.user(801, language_code="en", started=True)  # applied before the test
    fake.fail_next("sendMessage", 500, "Internal Server Error", times=3, chat_id=801)
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                   chat_id=801)  # fmt: skip
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(STAFF))
    await process.start()
    try:
        await fake.wait_for(lambda: user.messages(), timeout=30, what="the status notice")
        [notice] = user.messages()
        assert "документы приняты" in notice["text"]  # not a user yet: the default, ru
        db_path = tmp_path / "bot.sqlite3"
        sql = "SELECT status, attempts FROM outbox WHERE kind = 'status'"
        # Marked sent right after Telegram's answer: wait for that write, not only the message.
        for _ in range(200):  # the fake sees no request after it, so poll the file itself
            if query(db_path, sql)[0][0] == "sent":
                break
            await asyncio.sleep(0.05)
        [(status, attempts)] = query(db_path, sql)
        assert status == "sent" and attempts >= 2  # the 500s cost the sender an attempt
    finally:
        await process.kill()


async def test_staff_upload_a_practicum_file_bad_rows_refused_whole_then_good_imported(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    import openpyxl

    staff = fake.user(STAFF)
    header = "колледж;группа;специальность;начало;окончание;место;руководитель;отчёт\n"
    good = (
        "ntpts;МП-25-1;22.02.08;12.05.2027;20.06.2027;Надеждинский завод;Иванов И. И.;25.06.2027\n"
    )
    bad = "ntpts;МП-25-2;22.02.08;31.06.2027;20.06.2027;Завод;Петров;25.06.2027\n"
    staff.send_document("практика.csv", "text/csv", content=(header + good + bad).encode("cp1251"))
    refused = await staff.wait_reply()
    assert "Ничего не загружено" in refused["text"]
    # In the staff member's language, the column as they headed it.
    assert "строка 3, начало: '31.06.2027' — не дата ДД.ММ.ГГГГ" in refused["text"]
    db = tmp_path / "bot.sqlite3"
    assert query(db, "SELECT count(*) FROM practicum_periods") == [(0,)]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["college", "group", "specialty", "start", "end", "place", "supervisor",
                  "report_deadline"])  # fmt: skip
    sheet.append(["ntpts", "МП-25-1", "22.02.08", "12.05.2027", "20.06.2027", "НМЗ", "Иванов",
                  "25.06.2027"])  # fmt: skip
    sheet.append(["ntpts", "МП-25-2", "22.02.08", "13.05.2027", "21.06.2027", "НМЗ", "Петров",
                  "26.06.2027"])  # fmt: skip
    path = tmp_path / "practicum.xlsx"
    book.save(path)
    staff.send_document(
        "practicum.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        content=path.read_bytes(),
    )
    imported = await staff.wait_reply()
    assert "Загружено периодов практики: 2" in imported["text"]
    assert query(db, "SELECT group_name FROM practicum_periods ORDER BY id") == [
        ("МП-25-1",),
        ("МП-25-2",),
    ]
