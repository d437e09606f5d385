"""The staff's queue as a readable list: a line per application with its number, surname and
initials, specialty, score, date and a mark for missing documents; by date or by score; ten a
page with the counts."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Dispatcher

from bot.domain.applications import surname_initials
from db.database import Database
from tests.client import UserClient, labels
from tests.helpers import ORE, T0, add, numbers


def lines_of(queue: dict[str, object]) -> list[str]:
    text = str(queue["text"])
    return [line for line in text.splitlines() if line[:1].isdigit() and ". " in line]


def test_surname_and_initials() -> None:
    assert surname_initials("Иванова Анна Сергеевна") == "Иванова А. С."
    assert surname_initials("Ли Мин") == "Ли М."
    assert surname_initials("  Петров  ") == "Петров"


async def test_a_queue_line_shows_who_what_score_date_and_missing_documents(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    # 0001: a passport only (minor: the parent's consent too) → missing; 0002: all of them.
    await add(db, 301, "4.10", name="Иванова Анна Сергеевна")
    second = await add(db, 302, "4.75", codes=(ORE, "22.02.08"), at=T0 + timedelta(days=1),
                       name="Петров Пётр")  # fmt: skip
    for kind in ("certificate", "photo", "parent_consent"):
        await db.execute(
            "INSERT INTO documents (application_id, kind, file_id, file_unique_id, content_type, "
            "added_at) VALUES (?, ?, ?, ?, 'photo', ?)",
            (second, kind, f"f-{kind}", f"u-{kind}", T0.isoformat()),
        )
    admin = UserClient(dp, bot, user_id=1, language_code="ru")
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("📥 Все заявления", panel)
    assert lines_of(queue) == [
        "1. <b>М-2027-0001</b> Иванова А. С. · 22.02.08 Металлургия · 4,10 · 20 нояб. ⚠️",
        "2. <b>М-2027-0002</b> Петров П. · 21.02.18 Обогащение ископаемых · 4,75 · 21 нояб.",
    ]
    assert "Найдено 2 заявления · 1–2" in queue["text"]
    assert "⚠️ не хватает документов" in queue["text"]
    assert numbers(queue) == ["М-2027-0001", "М-2027-0002"]
    assert labels(queue)[0] == "М-2027-0001 · Иванова А. С."

    [by_score] = await admin.click("⇅ По баллу", queue)
    assert "сначала с высшим баллом" in by_score["text"]
    assert numbers(by_score) == ["М-2027-0002", "М-2027-0001"]
    assert "⇅ По дате" in labels(by_score)
    # A filter keeps the order; the specialty filtered on is the one shown.
    [chooser] = await admin.click("🎓 Специальность", by_score)
    [filtered] = await admin.click("22.02.08 Металлургия", chooser)
    assert numbers(filtered) == ["М-2027-0002", "М-2027-0001"]
    assert "М-2027-0002</b> Петров П. · 22.02.08 Металлургия" in filtered["text"]


async def test_ten_a_page_in_score_order_with_the_counts(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    for i in range(12):
        await add(db, 400 + i, f"{3 + i / 10:.2f}", at=T0 + timedelta(minutes=i))
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("📥 All applications", panel)
    [queue] = await admin.click("⇅ By score", queue)
    assert "Found: 12 applications · 1–10 · page 1 of 2" in queue["text"]
    assert len(lines_of(queue)) == 10
    assert numbers(queue)[:2] == ["M-2027-0012", "M-2027-0011"]
    [page2] = await admin.click("▶️", queue)
    assert "11–12 · page 2 of 2" in page2["text"]
    assert numbers(page2) == ["M-2027-0002", "M-2027-0001"]  # the order kept on page 2
    assert lines_of(page2)[0].startswith("11. ")
