"""Questions to the admission office: the relay to the staff with the asker's context, the
answer back to the asker (button or reply, private chat or the admission group), access on
every staff update, the panel's list of unanswered questions, deletion with the person."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from bot.domain.telegram_text import CAPTION_LIMIT, MESSAGE_LIMIT, telegram_length
from db.database import Database
from db.questions import QuestionRepository
from handlers.callbacks import QuestionCb
from handlers.questions import QUESTION_MAX
from handlers.staff.questions import ANSWER_MAX
from tests.client import UserClient, buttons, labels
from tests.conftest import FixedClock
from tests.helpers import (
    apply,
    ask,
    fill_form,
    join,
    person,
    relayed,
    reply_to,
    sender_of,
    start_applying,
    submit,
)

GROUP_ID = -100_777


@pytest.fixture
def group_dp(settings: Settings, db: Database, i18n: I18n, clock: FixedClock) -> Dispatcher:
    """The bot with an admission group chat: questions go there instead of to ADMIN_IDS."""
    with_group = settings.model_copy(update={"admission_chat_id": GROUP_ID})
    return build_dispatcher(settings=with_group, db=db, i18n=i18n, clock=clock)


GROUP = {"id": GROUP_ID, "type": "supergroup", "title": "Приёмная комиссия"}


async def test_a_question_reaches_the_staff_and_the_answer_reaches_the_asker(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await admin.send("/start")
    prompt = await ask(english_user)
    assert "Do not send passport" in prompt["text"]
    [sent] = await english_user.send("Когда <b>приём</b> документов?")
    assert "Question №1 is sent" in sent["text"]
    assert "📝 Apply" in labels(sent)  # back to the main menu

    [relay] = await relayed(dp, bot, chat_id=1)
    assert relay["text"].startswith("#Q1 · ")
    assert "Когда &lt;b&gt;приём&lt;/b&gt; документов?" in relay["text"]
    assert "Telegram user id: 1002" in relay["text"] and "Language: en" in relay["text"]
    assert "Application" not in relay["text"]  # no application: no line about one

    [typing] = await admin.click("✍️ Answer", relay)
    assert "Question №1: type the answer" in typing["text"]
    [done] = await admin.send("С 20 июня, <с 9:00>.")
    assert "answer to question №1 is saved and queued" in done["text"]

    [delivered] = await relayed(dp, bot, chat_id=1002)
    assert "Answer of the admission office to your question №1" in delivered["text"]
    assert "С 20 июня, &lt;с 9:00&gt;." in delivered["text"]
    assert "✍️ Ask another question" in labels(delivered)
    row = await db.fetchone("SELECT answered_at, answered_by FROM questions WHERE id = 1")
    assert row is not None and row["answered_at"] is not None and row["answered_by"] == 1


async def test_the_answer_is_in_the_askers_language(
    user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot, i18n: I18n
) -> None:
    await ask(user, "Есть ли общежитие?")  # user 1001 reads Russian
    [relay] = await relayed(dp, bot, chat_id=1)
    await reply_to(admin, relay, "Да, есть.")
    [delivered] = await relayed(dp, bot, chat_id=1001)
    heading = i18n.gettext(
        "📬 <b>Answer of the admission office to your question №{number}:</b>", locale="ru"
    ).format(number=1)
    assert delivered["text"].startswith(heading)
    assert i18n.gettext("✍️ Ask another question", locale="ru") in labels(delivered)


async def test_a_reply_in_the_admission_group_reaches_the_asker(
    group_dp: Dispatcher, bot: Bot, db: Database
) -> None:
    asker = UserClient(group_dp, bot, user_id=1002, language_code="en")
    admin = UserClient(group_dp, bot, user_id=1, language_code="en")
    await ask(asker, "Нужна ли медсправка?")
    [relay] = await relayed(group_dp, bot, chat_id=GROUP_ID)
    assert relay["text"].startswith("#Q1 · ")
    assert [data for _, data in buttons(relay)] == ["q:answer:1"]
    assert await relayed(group_dp, bot, chat_id=1) == []  # the group, not the admins

    [confirmation] = await reply_to(admin, relay, "Да, форма 086/у.", chat=GROUP)
    assert confirmation["chat_id"] == GROUP_ID
    assert "answer to question №1 is saved and queued" in confirmation["text"]
    [delivered] = await relayed(group_dp, bot, chat_id=1002)
    assert "question №1" in delivered["text"] and "086/у" in delivered["text"]

    # A follow-up is delivered too; the question keeps the time of its first answer.
    first = await db.fetchval("SELECT answered_at FROM questions WHERE id = 1")
    await reply_to(admin, relay, "И прививочный сертификат.", chat=GROUP)
    [follow_up] = await relayed(group_dp, bot, chat_id=1002)
    assert "прививочный" in follow_up["text"]
    assert await db.fetchval("SELECT answered_at FROM questions WHERE id = 1") == first
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 2


async def test_answer_pressed_in_the_group_is_typed_in_the_private_chat(
    group_dp: Dispatcher, bot: Bot
) -> None:
    asker = UserClient(group_dp, bot, user_id=1002, language_code="en")
    admin = UserClient(group_dp, bot, user_id=1, language_code="en")
    admin_in_group = UserClient(group_dp, bot, user_id=1, language_code="en")
    admin_in_group.chat = GROUP
    await ask(asker, "Есть ли заочное отделение?")
    [relay] = await relayed(group_dp, bot, chat_id=GROUP_ID)
    before = len(bot.session.calls)  # type: ignore[attr-defined]
    await admin_in_group.click_data("q:answer:1", relay)
    [prompt] = bot.session.of("sendMessage")[-1:]  # type: ignore[attr-defined]
    assert len(bot.session.calls) - before == 2  # the prompt and the callback's answer
    assert prompt["chat_id"] == 1 and "Question №1: type the answer" in prompt["text"]
    [done] = await admin.send("Нет, только очное.")
    assert "answer to question №1 is saved and queued" in done["text"]
    [delivered] = await relayed(group_dp, bot, chat_id=1002)
    assert "только очное" in delivered["text"]


async def test_someone_not_staff_replying_in_the_group_is_ignored_in_silence(
    group_dp: Dispatcher, bot: Bot, db: Database
) -> None:
    asker = UserClient(group_dp, bot, user_id=1002, language_code="en")
    stranger = UserClient(group_dp, bot, user_id=5555, language_code="en")
    await ask(asker, "Сколько бюджетных мест?")
    [relay] = await relayed(group_dp, bot, chat_id=GROUP_ID)
    before = len(stranger.session.calls)
    await reply_to(stranger, relay, "Ответ не сотрудника", chat=GROUP)
    assert stranger.session.calls[before:] == []  # not a word in the group
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'answer'") == 0


async def test_photo_and_document_questions_are_relayed_with_their_files(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await admin.send("/start")
    await ask(english_user)
    [sent] = await english_user.send_photo("q1")
    assert "Question №1 is sent" in sent["text"]
    await ask(english_user)
    document = {"file_id": "doc-q2", "file_unique_id": "u-q2", "file_name": "086.pdf"}
    message = english_user._message(document=document, caption="Подходит ли такая справка?")
    [sent] = await english_user._act({"message": message})
    assert "Question №2 is sent" in sent["text"]

    photo, doc = await relayed(dp, bot, chat_id=1)
    assert photo["method"] == "sendPhoto" and photo["photo"] == "photo-q1"
    assert photo["caption"].startswith("#Q1 · ") and "Telegram user id: 1002" in photo["caption"]
    assert doc["method"] == "sendDocument" and doc["document"] == "doc-q2"
    assert doc["caption"].startswith("#Q2 · ") and "Подходит ли такая справка?" in doc["caption"]
    assert "✍️ Answer" in labels(doc)

    # A reply to the file's caption answers that question.
    await reply_to(admin, doc, "Да, подходит.")
    [delivered] = await relayed(dp, bot, chat_id=1002)
    assert "question №2" in delivered["text"] and "Подходит ли" in delivered["text"]


async def test_a_long_caption_is_shortened_to_fit_but_keeps_the_tag(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await ask(english_user)
    document = {"file_id": "doc-long", "file_unique_id": "u-long", "file_name": "a.pdf"}
    caption = "<" * 1024  # each one is four characters of HTML, one on the screen
    await english_user._act({"message": english_user._message(document=document, caption=caption)})
    [relay] = await relayed(dp, bot, chat_id=1)
    # The admin (ADMIN_IDS=1) has not chosen a language: they read Russian, the default.
    assert relay["caption"].startswith("#Q1 · ") and relay["caption"].endswith("1002\nЯзык: en")
    assert relay["caption"].count("&lt;") < 1000 and "…" in relay["caption"]
    # Telegram counts the caption after parsing the HTML, in UTF-16 units: it must fit in
    # 1024, and be shortened only as much as needed.
    from bot.emulator import parse_html, utf16_len

    shown = utf16_len(parse_html(relay["caption"])[0])
    assert 900 <= shown <= 1024, shown
    assert await db.fetchval("SELECT length(text) FROM questions") == 1024  # stored whole


async def test_a_sticker_gets_a_hint_and_the_question_can_still_be_sent(
    english_user: UserClient, db: Database
) -> None:
    await ask(english_user)
    [hint] = await english_user.send_sticker()
    assert "text, a photo or a document" in hint["text"]
    [hint] = await english_user.send("x" * 2001)
    assert "too long: 2001 characters" in hint["text"]
    [hint] = await english_user.send("/whatever")
    assert "Type your question" in hint["text"]
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    [sent] = await english_user.send("Можно подать документы по почте?")
    assert "Question №1 is sent" in sent["text"]
    [reply] = await english_user.send("А ещё вопрос")  # the dialogue is over
    assert "Question" not in reply["text"]
    assert await db.fetchval("SELECT count(*) FROM questions") == 1


async def test_cancel_button_and_command_send_nothing(
    english_user: UserClient, db: Database
) -> None:
    prompt = await ask(english_user)
    [menu] = await english_user.click("✖️ Cancel", prompt)
    assert "📝 Apply" in labels(menu)
    await ask(english_user)
    [menu] = await english_user.send("/cancel")
    assert "Cancelled" in menu["text"]
    await english_user.send("Это не вопрос")
    assert await db.fetchval("SELECT count(*) FROM questions") == 0


async def test_at_most_five_unanswered_questions_per_person(
    english_user: UserClient, db: Database
) -> None:
    for n in range(1, 6):
        sent = await ask(english_user, f"Вопрос {n}")
        assert f"Question №{n} is sent" in sent["text"]
    refusal = await ask(english_user)
    assert "already have 5 questions waiting" in refusal["text"]
    await english_user.send("Шестой")
    assert await db.fetchval("SELECT count(*) FROM questions") == 5


async def test_a_non_staff_user_pressing_answer_or_replying_gets_no_access(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await ask(english_user, "Вопрос")
    [relay] = await relayed(dp, bot, chat_id=1)
    stranger = UserClient(dp, bot, user_id=1003, language_code="en")
    [menu] = await stranger.send("/start")
    for action in ("answer", "open", "list"):
        replies = await stranger.click_data(QuestionCb(action=action, id=1).pack(), menu)
        answer = stranger.answers()[-1]
        assert answer["text"] == "No access." and answer["show_alert"] is True
        assert replies == []
    [refusal] = await reply_to(stranger, relay, "Я отвечу за комиссию")
    assert refusal["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'answer'") == 0
    assert await db.fetchval("SELECT answered_at FROM questions WHERE id = 1") is None


async def test_the_unanswered_list_shrinks_after_an_answer(
    english_user: UserClient, user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await admin.send("/start")
    await ask(english_user, "Первый вопрос, довольно длинный: " + "очень " * 20 + "длинный")
    await ask(user, "Второй вопрос")
    relay, _second = await relayed(dp, bot, chat_id=1)
    [screen] = await admin.click_data(QuestionCb(action="list").pack(), relay)
    assert "Unanswered questions: 2" in screen["text"]
    lines = screen["text"].splitlines()
    first = next(line for line in lines if line.startswith("№1 · "))
    second = next(line for line in lines if line.startswith("№2 · "))
    assert lines.index(first) < lines.index(second)  # the oldest first
    assert len(first.split(" · ", 2)[2]) <= 60 and first.endswith("…")
    assert labels(screen) == ["№1", "№2", "⬅️ Panel"]

    [card] = await admin.click("№1", screen)
    assert card["text"].startswith("#Q1 · ") and "очень " * 20 in card["text"]
    assert "Telegram user id: 1002" in card["text"]
    await admin.click("✍️ Answer", card)
    await admin.send("Ответ на первый")
    [screen] = await admin.click_data(QuestionCb(action="list").pack(), card)
    assert "Unanswered questions: 1" in screen["text"]
    assert labels(screen) == ["№2", "⬅️ Panel"]


async def test_the_relay_names_the_askers_application_and_delete_my_data_removes_questions(
    english_user: UserClient,
    admin: UserClient,
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    settings: Settings,
) -> None:
    await admin.send("/start")
    await submit(english_user, await fill_form(english_user))
    await ask(english_user, "Где мой оригинал аттестата Зюзюкиной?")
    staff_chat = await relayed(dp, bot, chat_id=1)  # the new application, then the question
    [relay] = [m for m in staff_chat if m.get("text", "").startswith("#Q1 · ")]
    assert "Application M-2027-0001: submitted" in relay["text"]
    await reply_to(admin, relay, "В колледже.")
    await ask(english_user, "Ещё один вопрос Зюзюкиной")  # its relay is still in the outbox
    assert await db.fetchval("SELECT count(*) FROM questions") == 2

    [mine] = await english_user.send("/start")
    [mine] = await english_user.click("📄 My application", mine)
    [confirm] = await english_user.click("🗑 Delete my data", mine)
    await english_user.click("Yes, delete everything", confirm)
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0
    pending = "SELECT DISTINCT kind FROM outbox WHERE status = 'pending'"
    assert [r["kind"] for r in await db.fetchall(pending)] == ["delete_message"]
    before = len(bot.session.calls)  # type: ignore[attr-defined]
    await sender_of(dp).drain(bot)
    calls = bot.session.calls[before:]  # type: ignore[attr-defined]
    # The second question is not relayed; the posts about the person are deleted.
    assert {c.method for c in calls if c.params.get("chat_id") == 1} == {"deleteMessage"}
    await db.close()
    files = [settings.database_path, Path(f"{settings.database_path}-wal")]
    raw = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in ("Зюзюкин", "В колледже"):
        assert secret.encode() not in raw, secret
    await db.connect()


async def test_cancelling_a_question_keeps_an_unfinished_application(
    english_user: UserClient,
) -> None:

    await start_applying(english_user)
    await english_user.send("Иванова Анна Сергеевна")  # the name is answered
    await english_user.send("/start")
    await ask(english_user)
    await english_user.send("/cancel")
    [menu] = await english_user.send("/start")
    [offer] = await english_user.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"]
    [question] = await english_user.click("▶️ Continue", offer)
    assert "birth" in question["text"].lower()


async def test_anyone_can_delete_their_data_by_command(
    english_user: UserClient, db: Database
) -> None:
    await ask(english_user, "Is there a dormitory?")
    assert await db.fetchval("SELECT count(*) FROM questions") == 1
    [confirm] = await english_user.send("/delete_my_data")
    assert "Delete all your personal data?" in confirm["text"]
    await english_user.click("Yes, delete everything", confirm)
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert await db.fetchval("SELECT count(*) FROM users WHERE id = 1002") == 0


# --- lengths as Telegram counts them ---------------------------------------------------------


async def test_an_emoji_answer_over_the_limit_in_utf16_units_is_refused(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await ask(english_user, "Вопрос")
    [relay] = await relayed(dp, bot, chat_id=1)
    # 3000 characters for Python, 6000 units for Telegram: its message would be refused.
    [refusal] = await reply_to(admin, relay, "😀" * ANSWER_MAX)
    assert f"too long: {2 * ANSWER_MAX} characters, at most {ANSWER_MAX}" in refusal["text"]
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0
    await reply_to(admin, relay, "👍" * (ANSWER_MAX // 2))  # just fits
    [delivered] = await relayed(dp, bot, chat_id=1002)
    assert telegram_length(delivered["text"]) <= MESSAGE_LIMIT


async def test_an_emoji_question_over_the_limit_in_utf16_units_is_refused(
    english_user: UserClient, db: Database
) -> None:
    await ask(english_user)
    [hint] = await english_user.send("😀" * QUESTION_MAX)
    assert f"too long: {2 * QUESTION_MAX} characters" in hint["text"]
    assert await db.fetchval("SELECT count(*) FROM questions") == 0


async def test_an_emoji_caption_is_shortened_to_telegrams_caption_limit(
    english_user: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await ask(english_user)
    document = {"file_id": "doc-emoji", "file_unique_id": "u-emoji", "file_name": "a.pdf"}
    message = english_user._message(document=document, caption="😀" * 1000)
    await english_user._act({"message": message})
    [relay] = await relayed(dp, bot, chat_id=1)
    assert telegram_length(relay["caption"]) <= CAPTION_LIMIT
    assert relay["caption"].startswith("#Q1 · ") and "😀…" in relay["caption"]
    relay["caption"].encode("utf-16-le")  # no half of an emoji left behind


async def test_a_stored_question_too_long_for_a_message_is_relayed_shortened(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    # Written before lengths were counted in UTF-16 units (2000 emoji are 4000 units, and
    # the asker's context comes on top), or by any other path: the relay still fits.
    questions = QuestionRepository(db)
    await questions.ask(1002, "text", "😀" * 2048, None, clock.now(), [1], max_open=5)
    [relay] = await relayed(dp, bot, chat_id=1)
    assert telegram_length(relay["text"]) <= MESSAGE_LIMIT
    # The admin has not chosen a language: they read Russian, the default.
    assert relay["text"].startswith("#Q1 · ") and relay["text"].endswith("Telegram: 1002")


# --- delivery is reported as it is -----------------------------------------------------------


async def test_the_staff_are_told_the_answer_is_queued_and_then_what_became_of_it(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await admin.send("/start")
    await ask(english_user, "Первый вопрос")
    [relay] = await relayed(dp, bot, chat_id=1)
    [done] = await reply_to(admin, relay, "Ответ")
    assert "queued" in done["text"] and "is sent to the asker" not in done["text"]
    [card] = await admin.click("📨 Question №1", done)
    assert "Not delivered yet: waiting to be sent." in card["text"]

    await relayed(dp, bot, chat_id=1002)
    [card] = await admin.click("📨 Question №1", done)
    assert "Delivered to the asker." in card["text"]

    # The asker blocks the bot: the next answer is refused by Telegram with 403.
    await reply_to(admin, relay, "Ещё ответ")
    bot.session.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")  # type: ignore[attr-defined]
    await relayed(dp, bot, chat_id=1002)
    [card] = await admin.click("📨 Question №1", done)
    assert "Delivered to the asker." in card["text"]  # the first answer
    assert "Not delivered: the asker has blocked the bot." in card["text"]
    [screen] = await admin.click_data(QuestionCb(action="list").pack(), card)
    assert "Unanswered questions: 0" in screen["text"]
    assert "did not reach the asker" in screen["text"] and "⚠️ №1" in labels(screen)

    # Answering someone known to have blocked the bot says so at once.
    [done] = await reply_to(admin, relay, "И ещё")
    assert "has blocked the bot" in done["text"]


async def test_a_failed_delivery_shows_on_the_card(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await admin.send("/start")
    await ask(english_user, "Вопрос")
    [relay] = await relayed(dp, bot, chat_id=1)
    [done] = await reply_to(admin, relay, "Ответ")
    bot.session.fail_next("sendMessage", 400, "Bad Request: message is too long")  # type: ignore[attr-defined]
    await relayed(dp, bot, chat_id=1002)
    [card] = await admin.click("📨 Question №1", done)
    assert "Not delivered: Telegram did not accept it." in card["text"]


async def test_the_question_card_fits_a_message_whatever_the_answers(
    english_user: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot
) -> None:
    await admin.send("/start")
    await ask(english_user, "😀" * (QUESTION_MAX // 2))
    [relay] = await relayed(dp, bot, chat_id=1)
    for n in range(5):
        [done] = await reply_to(admin, relay, f"{n} " + "👍" * (ANSWER_MAX // 2 - 2))
    [card] = await admin.click("📨 Question №1", done)
    assert telegram_length(card["text"]) <= MESSAGE_LIMIT
    assert card["text"].startswith("#Q1 · ") and "earlier answers are not shown" in card["text"]
    assert "4 👍" in card["text"]  # the newest answer is on the card


# --- college scope ---------------------------------------------------------------------------


@pytest.fixture
async def three_askers(dp: Dispatcher, bot: Bot, db: Database) -> None:
    """#Q1 from an applicant of ntpts (22.02.08), #Q2 from an applicant of a specialty no
    college of the scope teaches (21.02.18), #Q3 from a student of taimyr without an
    application."""

    ntpts_applicant, other_applicant = person(dp, bot, 3001), person(dp, bot, 3002)
    await apply(ntpts_applicant, "Иванова Анна Сергеевна")
    await apply(other_applicant, "Петров Пётр Петрович", "21.02.18 · Mineral processing")
    await db.execute(
        "INSERT INTO students (user_id, college_id, specialty_code, group_name, registered_at) "
        "VALUES (3003, 'taimyr', '13.02.07', 'ЭС-25-1', '2026-11-01T00:00:00+00:00')"
    )
    await ask(ntpts_applicant, "Вопрос абитуриента НТПТиС")
    await ask(other_applicant, "Вопрос абитуриента другой специальности")
    await ask(person(dp, bot, 3003), "Вопрос студента")


async def test_staff_of_one_college_see_only_questions_of_its_applicants_and_of_anyone(
    dp: Dispatcher, bot: Bot, admin: UserClient, three_askers: None
) -> None:

    ntpts = person(dp, bot, 2001)
    await join(admin, ntpts, "Norilsk Technical School")
    [panel] = await ntpts.send("/staff")
    assert "❓ Questions (2)" in labels(panel)
    [screen] = await ntpts.click("❓ Questions (2)", panel)
    assert "Unanswered questions: 2" in screen["text"]
    assert labels(screen) == ["№1", "№3", "⬅️ Panel"]
    assert "другой специальности" not in screen["text"]

    [card] = await ntpts.click("№1", screen)
    assert "Application M-2027-0001: submitted" in card["text"]
    [card] = await ntpts.click_data(QuestionCb(action="open", id=3).pack(), card)
    assert "Вопрос студента" in card["text"]
    assert "Student" not in card["text"] and "ЭС-25-1" not in card["text"]  # taimyr's student

    # Staff of every college see everything, the student included.
    [panel] = await admin.send("/staff")
    assert "❓ Questions (3)" in labels(panel)
    [card] = await admin.click_data(QuestionCb(action="open", id=3).pack(), panel)
    assert "ЭС-25-1" in card["text"]
    [card] = await admin.click_data(QuestionCb(action="open", id=2).pack(), card)
    assert "Application M-2027-0002: submitted" in card["text"]


@pytest.mark.parametrize("action", ["open", "answer"])
async def test_a_question_of_another_colleges_applicant_is_refused(
    dp: Dispatcher, bot: Bot, admin: UserClient, three_askers: None, db: Database, action: str
) -> None:

    ntpts = person(dp, bot, 2001)
    await join(admin, ntpts, "Norilsk Technical School")
    [panel] = await ntpts.send("/staff")
    replies = await ntpts.click_data(QuestionCb(action=action, id=2).pack(), panel)
    assert replies == [] and ntpts.answers()[-1]["text"] == "No access."
    sent = [m for m in ntpts.session.of("sendMessage") if m["chat_id"] == 2001]
    assert not any("M-2027-0002" in m["text"] or "Question №2" in m["text"] for m in sent)


async def test_an_answer_to_another_colleges_applicant_is_refused(
    dp: Dispatcher, bot: Bot, admin: UserClient, three_askers: None, db: Database
) -> None:

    ntpts = person(dp, bot, 2001)
    await join(admin, ntpts, "Norilsk Technical School")
    # A relay of #Q2 forwarded to them: a reply to it must not answer it.
    relay = {"message_id": 1, "text": "#Q2 · ❓ Question №2"}
    [refusal] = await reply_to(ntpts, relay, "Ответ не своего колледжа")
    assert refusal["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM question_answers") == 0


async def test_the_card_asked_for_in_the_group_comes_privately(
    group_dp: Dispatcher, bot: Bot
) -> None:
    asker = UserClient(group_dp, bot, user_id=1002, language_code="en")
    admin_in_group = UserClient(group_dp, bot, user_id=1, language_code="en")
    admin_in_group.chat = GROUP
    await ask(asker, "Нужна ли медсправка?")
    [relay] = await relayed(group_dp, bot, chat_id=GROUP_ID)
    [confirmation] = await reply_to(admin_in_group, relay, "Да.", chat=GROUP)
    assert "queued" in confirmation["text"]
    await admin_in_group.click("📨 Question №1", confirmation)
    [card] = bot.session.of("sendMessage")[-1:]  # type: ignore[attr-defined]
    assert card["chat_id"] == 1 and card["text"].startswith("#Q1 · ")
    assert "Not delivered yet" in card["text"]
    edits = bot.session.of("editMessageText")  # type: ignore[attr-defined]
    assert not [e for e in edits if e["chat_id"] == GROUP_ID]  # the group is left as it was
