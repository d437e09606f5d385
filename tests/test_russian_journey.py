"""The applicant's journey in Russian, as a 15-year-old in Norilsk reads it: the documents
move on by themselves, the score's third decimal is refused with a hint, after submitting the
bot says what happens and what to bring, a correction request is at the top of «Моё заявление»
and goes back to the staff only with «Отправить на проверку», and enrolment congratulates."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher

from db.database import Database
from tests.client import UserClient, buttons
from tests.helpers import open_card, sender_of

USER_ID = 1001  # the Russian-speaking applicant of the ``user`` fixture


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


async def apply_in_russian(user: UserClient) -> dict[str, Any]:
    """From /start to «Моё заявление» after submitting; returns that screen."""
    [menu] = await user.send("/start")
    [consent] = await user.click("📝 Подать заявление", menu)
    [_name] = await user.click("✅ Даю согласие", consent)
    await user.send("Петрова Мария Ивановна")
    await user.send("01.02.2008")
    [_saved, base] = await user.send("8 913 555-10-01")
    [_score] = await user.click("После 9 классов", base)
    [hint] = await user.send("4,567")
    assert hint["text"].startswith("❗ В аттестате средний балл считают не больше чем до сотых.")
    assert "4,57" in hint["text"]  # the hint proposes the rounded value, never takes it alone
    [picker] = await user.send("4,56")
    [picker] = await user.click("22.02.08 · Металлургия", picker)
    [dorm] = await user.click("✅ Готово", picker)
    [channel] = await user.click("Нет", dorm)
    [passport] = await user.click("Только здесь", channel)
    assert passport["text"].startswith("<i>Документ 1 из 3</i>"), passport["text"]
    [certificate] = await user.send_photo("passport")
    assert "<i>Документ 2 из 3</i>" in certificate["text"]  # one page: on by itself
    [_photo] = await user.send_photo("certificate")
    [review] = await user.send_photo("photo")
    assert "Проверьте, пожалуйста, заявление" in review["text"]
    assert "📊 Средний балл: 4,56" in review["text"]  # a decimal comma
    [mine] = await user.click("✅ Подать заявление", review)
    return mine


async def test_a_russian_applicant_is_told_what_happens_after_submitting(
    user: UserClient,
) -> None:
    mine = await apply_in_russian(user)
    text = mine["text"]
    assert text.startswith("✅ <b>Заявление подано.</b>\n\n<b>Что теперь</b>\n"), text
    assert "<b>Заявление М-2027-0001</b>" in text  # a Cyrillic М in Russian
    assert "оригинал аттестата" in text, text


async def test_a_correction_in_russian_returns_to_the_staff_only_when_sent_for_review(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await apply_in_russian(user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    card = await open_card(admin)
    await admin.click("✏️ Ask to correct", card)
    await admin.send("Фото паспорта размыто")
    user.session.clear()
    await sender_of(dp).drain(bot)
    [notice] = [c for c in user.session.of("sendMessage") if c["chat_id"] == USER_ID]
    assert "Фото паспорта размыто" in notice["text"]

    [menu] = await user.send("/start")
    [mine] = await user.click("📄 Моё заявление", menu)
    # «Что исправить» comes at the top, under the number and status, with the staff's comment.
    assert mine["text"].startswith(
        "<b>Заявление М-2027-0001</b>\nСтатус: <b>нужно исправить</b>\n\n"
        "✏️ <b>Что исправить</b>\nФото паспорта размыто\n"
    ), mine["text"]
    [kinds] = await user.click("📎 Добавить документ", mine)
    await user.click("Паспорт (главный разворот)", kinds)
    [received] = await user.send_photo("sharp")
    [mine] = await user.click("✅ Готово", received)
    assert "нужно исправить" in mine["text"]  # one document is not the end of the correction
    user.session.clear()
    await sender_of(dp).drain(bot)
    assert not [c for c in user.session.of("sendMessage") if c["chat_id"] == 1]

    [mine] = await user.click("📤 Отправить на проверку", mine)
    assert "Что исправить" not in mine["text"]
    assert "📤 Отправить на проверку" not in labels(mine)
    assert await db.fetchval("SELECT status FROM applications") == "submitted"


async def test_enrolment_in_russian_congratulates_and_names_the_specialty(
    user: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await apply_in_russian(user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    card = await open_card(admin)
    [card] = await admin.click("✅ Accept documents", card)
    [confirm] = await admin.click("🎓 Enrol…", card)
    await admin.click("✅ Yes, enrol to 22.02.08", confirm)
    user.session.clear()
    await sender_of(dp).drain(bot)
    texts = [c["text"] for c in user.session.of("sendMessage") if c["chat_id"] == USER_ID]
    [enrolled] = [t for t in texts if "Поздравляем" in t]
    assert enrolled.startswith("🎉 <b>Поздравляем! Вы зачислены.</b>"), enrolled
    assert "22.02.08" in enrolled and "Колледж: " in enrolled
    assert "статус теперь" not in enrolled
