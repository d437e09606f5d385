"""Applying: consent, every step with its hints, back/cancel/edit, documents, submit,
«My application» with ranking, withdraw, delete, and the notices that must not get lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from bot.domain.applications import CONSENT_VERSION, STAFF_EVENT_DELAY, consent_version
from bot.services.applications import change_status
from db.applications import ApplicationRepository
from db.database import Database
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import (
    answer_until_the_documents,
    fill_form,
    sender_of,
    shipped_catalog,
    start_applying,
    submit,
)

# --- consent ---------------------------------------------------------------------------------


async def test_consent_comes_first_and_nothing_is_stored_before_it(
    english_user: UserClient, db: Database
) -> None:
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("📝 Apply", menu)
    assert "Consent to the processing of personal data" in consent["text"]
    assert "Version" in consent["text"] and "In short" in consent["text"]
    assert labels(consent) == ["✅ I agree", "📄 Full text", "I do not agree"]
    [full] = await english_user.click("📄 Full text", consent)
    assert "Operators" in full["text"] and "Federal Law No. 152-FZ" in full["text"]
    assert labels(full) == ["✅ I agree", "⬅️ In short", "I do not agree"]
    assert await db.fetchval("SELECT count(*) FROM consents") == 0
    [_reply] = await english_user.send("Иванова Анна")  # typing a name now is not taken
    assert "Иванова" not in (await db.fetchval("SELECT group_concat(data) FROM fsm") or "")


async def test_declining_the_consent_stores_nothing_but_a_count(
    english_user: UserClient, db: Database
) -> None:
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("📝 Apply", menu)
    [reply] = await english_user.click("I do not agree", consent)
    assert "nothing was saved" in reply["text"]
    assert await db.fetchval("SELECT count(*) FROM consents") == 0
    assert await db.fetchval("SELECT value FROM counters WHERE name='consent_declined'") == 1


async def test_consent_is_stored_with_user_time_and_version(
    english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    from datetime import UTC, datetime

    # Given on a day that is not the text's version date: the two must not be confused.
    clock.current = datetime(2027, 3, 1, 5, 30, tzinfo=UTC)
    assert not CONSENT_VERSION.startswith("2027-03-01")
    await start_applying(english_user)
    row = await db.fetchone("SELECT user_id, version, given_at, minor FROM consents")
    assert row is not None
    # The text's version, and the mark of the operators the shipped catalogue names.
    assert row["user_id"] == 1002 and row["version"] == consent_version(shipped_catalog())
    assert row["given_at"].startswith("2027-03-01T05:30")
    assert row["minor"] is None  # not known before the date of birth


async def test_under_18_is_derived_from_the_birth_date_and_nothing_asks_it(
    english_user: UserClient, db: Database
) -> None:
    name = await start_applying(english_user)
    assert "Your full name" in name["text"] and "under 18?" not in name["text"].lower()
    await english_user.send("Иванова Анна")
    [phone] = await english_user.send("05.03.2010")
    assert "under 18" in phone["text"] and "parent or legal representative" in phone["text"]
    assert "Your phone number" in phone["text"]
    assert await db.fetchval("SELECT minor FROM consents") == 1


async def test_an_adult_by_the_birth_date_needs_no_parents_consent(
    english_user: UserClient, db: Database
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    [phone] = await english_user.send("05.03.1990")  # a 36-year-old: no question, no contradiction
    assert "under 18" not in phone["text"] and "Your phone number" in phone["text"]
    assert await db.fetchval("SELECT minor FROM consents") == 0


# --- validation: each wrong answer gets a specific hint and the question again ----------------


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("Анна", "from 2 to 4 words"),
        ("Анна 2000", "«2» is not allowed"),
        ("Анна <b>Иванова</b>", "«&lt;» is not allowed"),
        ("А" * 60 + " " + "Б" * 41, "at most 100 characters"),
        ("Anna Ивaнова", "mixes Russian and Latin"),
    ],
)
async def test_a_wrong_name_gets_a_specific_hint(
    english_user: UserClient, answer: str, hint: str
) -> None:
    await start_applying(english_user)
    [reply] = await english_user.send(answer)
    assert hint in reply["text"]
    [next_question] = await english_user.send("Иванова Анна")
    assert "Date of birth" in next_question["text"]


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("5 марта", "DD.MM.YYYY"),
        ("31.02.2008", "no such date"),
        ("01.01.2030", "in the future"),
        ("01.01.2020", "Colleges admit after 9 classes"),
        ("01.01.1950", "apply at the college in person"),
    ],
)
async def test_a_wrong_birth_date_gets_a_specific_hint(
    english_user: UserClient, answer: str, hint: str
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    [reply] = await english_user.send(answer)
    assert hint in reply["text"]


async def test_birth_date_accepts_dashes_and_slashes(english_user: UserClient) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    [reply] = await english_user.send("05/03/2000")
    assert "phone" in reply["text"].lower()


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("позвоните маме", "like +7 913"),
        ("+7 701 123 45 67", "Russian phone number"),
        ("+380 44 123 4567", "Russian phone number"),
    ],
)
async def test_a_wrong_phone_gets_a_specific_hint(
    english_user: UserClient, answer: str, hint: str
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    await english_user.send("05.03.2000")
    [reply] = await english_user.send(answer)
    assert hint in reply["text"]


async def test_a_shared_contact_must_be_the_users_own(english_user: UserClient) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    await english_user.send("05.03.2000")
    [reply] = await english_user.send_contact("+79131234567", user_id=999)
    assert "someone else's contact" in reply["text"]
    assert reply["text"].index("someone else's") < reply["text"].index("Your phone number")
    replies = await english_user.send_contact("79131234567")
    assert replies[0]["text"] == "Phone number: +7 913 123-45-67 ✅"
    assert "Your education" in replies[1]["text"]


async def test_the_email_is_not_asked_but_can_be_given_on_the_review(
    english_user: UserClient,
) -> None:
    review = await fill_form(english_user)
    assert "E-mail: not given" in review["text"]
    [_email] = await english_user.click("✏️ E-mail", review)
    [again] = await english_user.send("anna@")
    assert "does not look like an e-mail" in again["text"] and "E-mail" in again["text"]
    [review] = await english_user.send("anna@mail.ru")
    assert "E-mail: anna@mail.ru" in review["text"]


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("отлично", "as a number"),
        ("5,5", "from 2.00 to 5.00"),
        ("1.99", "from 2.00 to 5.00"),
        ("4.567", "two decimals at most. Please type it rounded: 4.57"),
    ],
)
async def test_a_wrong_score_gets_a_specific_hint(
    english_user: UserClient, answer: str, hint: str
) -> None:
    await start_applying(english_user)
    for text in ("Иванова Анна", "05.03.2000", "+79131234567"):
        *_, base = await english_user.send(text)
    await english_user.click("After 11 classes", base)
    [reply] = await english_user.send(answer)
    assert hint in reply["text"]


async def test_a_score_below_3_is_double_checked(english_user: UserClient) -> None:
    await start_applying(english_user)
    for text in ("Иванова Анна", "05.03.2000", "+79131234567"):
        *_, base = await english_user.send(text)
    await english_user.click("After 11 classes", base)
    [check] = await english_user.send("2,8")
    assert "2.80" in check["text"] and "below 3" in check["text"]
    [again] = await english_user.click("No, type it again", check)
    assert "Average score" in again["text"]
    [check] = await english_user.send("2.75")
    [picker] = await english_user.click("Yes, that is right", check)
    assert "Choose up to 3 specialties" in picker["text"]


async def test_stickers_and_files_where_text_is_expected_get_a_hint(
    english_user: UserClient,
) -> None:
    await start_applying(english_user)
    for stray in (english_user.send_sticker, english_user.send_photo):
        [reply] = await stray()
        # The hint, then the question again below it (the one above is off-screen by now).
        hint, question = reply["text"].split("\n\n", 1)
        assert "text message" in hint
        assert question.startswith("<i>Step 1 of 8</i>\n<b>Your full name</b>"), question
        assert labels(reply) == ["⬅️ Back", "✖️ Cancel"]
    [reply] = await english_user.send("/menu")  # a command leaves the form, keeping answers
    assert "🎓 Specialties" in labels(reply)


# --- specialties, documents -----------------------------------------------------------------


async def test_at_most_three_specialties_in_order_of_priority(english_user: UserClient) -> None:
    await start_applying(english_user)
    for text in ("Иванова Анна", "05.03.2000", "+79131234567"):
        *_, base = await english_user.send(text)
    await english_user.click("After 11 classes", base)
    [picker] = await english_user.send("4.5")
    for label in ("15.01.05 · Welder", "22.02.08 · Metallurgy", "13.02.07 · Power supply"):
        [picker] = await english_user.click(label, picker)
    assert "1️⃣ 15.01.05 · Welder" in labels(picker)
    assert "3️⃣ 13.02.07 · Power supply" in labels(picker)
    await english_user.click("15.01.31 · I&C technician", picker)
    assert english_user.answers()[-1]["show_alert"] is True
    [picker] = await english_user.click("1️⃣ 15.01.05 · Welder", picker)  # removes it
    assert "1️⃣ 22.02.08 · Metallurgy" in labels(picker)


async def test_apply_from_a_card_preselects_nothing_it_cannot(english_user: UserClient) -> None:
    review = await fill_form(english_user, specialties=("13.02.07 · Power supply",))
    assert "13.02.07 · Power supply" in review["text"]


async def test_documents_refuse_wrong_types_and_big_files_with_the_reason(
    english_user: UserClient,
) -> None:
    passport = await answer_until_the_documents(english_user)
    assert "Document 1 of 3" in passport["text"] and "Step" not in passport["text"]
    [reply] = await english_user.send_document("photo.zip", "application/zip", unique="z")
    assert "(application/zip) is not accepted" in reply["text"]
    [reply] = await english_user.send_document("scan.pdf", size=25 * 1024 * 1024, unique="big")
    assert "25.0 MB, more than the 20 MB limit" in reply["text"]
    [reply] = await english_user.send("вот мой паспорт")
    assert "photo or a PDF" in reply["text"] and "Document 1 of 3" in reply["text"]
    assert reply["text"].index("photo or a PDF") < reply["text"].index("Document 1 of 3")


async def test_a_one_page_document_moves_on_by_itself_and_one_more_page_comes_back(
    english_user: UserClient,
) -> None:
    await answer_until_the_documents(english_user)
    [certificate] = await english_user.send_document("p1.pdf", unique="p1")
    assert "✅ Passport (main page): 1 file received." in certificate["text"]
    assert "Document 2 of 3" in certificate["text"]
    assert "➕ One more page: Passport (main page)" in labels(certificate)
    [passport] = await english_user.click("➕ One more page: Passport (main page)", certificate)
    assert "Document 1 of 3" in passport["text"] and "Received: 1 file" in passport["text"]
    [certificate] = await english_user.send_photo("p2")
    assert "✅ Passport (main page): 2 files received." in certificate["text"]
    assert "Document 2 of 3" in certificate["text"]
    [duplicate] = await english_user.send_photo("p2")
    assert "already here" in duplicate["text"]


async def test_every_document_can_be_sent_later(english_user: UserClient, db: Database) -> None:
    screen = await answer_until_the_documents(english_user)
    for n in (1, 2, 3):
        assert f"Document {n} of 3" in screen["text"] and "⏭ Later" in labels(screen)
        [screen] = await english_user.click("⏭ Later", screen)
    assert "Please check your application" in screen["text"]
    assert "⬜ Passport (main page): not sent yet" in screen["text"]
    assert "You can send what is missing later" in screen["text"]
    [mine] = await english_user.click("✅ Submit", screen)
    assert "Your application is submitted" in mine["text"]
    assert "⬜ Photo: not sent yet" in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


# --- back, cancel, edit, restart ----------------------------------------------------------------


async def test_back_shows_the_previous_question_with_its_answer(english_user: UserClient) -> None:
    await start_applying(english_user)
    [birth] = await english_user.send("Иванова Анна")
    [name] = await english_user.click("⬅️ Back", birth)
    assert "Your full name" in name["text"] and "Now: Иванова Анна" in name["text"]
    [birth] = await english_user.send("Иванова Анна")
    [_phone] = await english_user.send("05.03.2000")
    english_user.session.clear()
    [birth] = await english_user.send("⬅️ Back")  # the phone question's reply keyboard
    assert "Date of birth" in birth["text"] and "Now: 05.03.2000" in birth["text"]
    # The reply keyboard went with its step, by a message deleted at once.
    [removal] = [c for c in english_user.session.calls if c.method == "sendMessage"][1:]
    assert removal.params["reply_markup"] == {"remove_keyboard": True}
    assert english_user.session.of("deleteMessage")


async def test_cancel_asks_first_and_then_deletes_the_answers(
    english_user: UserClient, db: Database
) -> None:
    await start_applying(english_user)
    [birth] = await english_user.send("Иванова Анна")
    [question] = await english_user.click("✖️ Cancel", birth)
    [birth_again] = await english_user.click("No, continue", question)
    assert "Date of birth" in birth_again["text"]
    [question] = await english_user.click("✖️ Cancel", birth_again)
    [menu] = await english_user.click("Yes, cancel", question)
    assert "answers are deleted" in menu["text"]
    assert "Иванова" not in (await db.fetchval("SELECT group_concat(data) FROM fsm") or "")


async def test_editing_one_answer_returns_to_the_review(english_user: UserClient) -> None:
    review = await fill_form(english_user)
    [score] = await english_user.click("✏️ Score", review)
    assert "Now: 4.50" in score["text"]
    [review] = await english_user.send("4.75")
    assert "Average score: 4.75" in review["text"]


async def test_user_text_is_shown_exactly_as_typed(english_user: UserClient) -> None:
    review = await fill_form(english_user)
    [_email] = await english_user.click("✏️ E-mail", review)
    [review] = await english_user.send("a&b<c>@mail.ru")
    assert "does not look like" in review["text"]
    [review] = await english_user.send("tom&jerry@mail.ru")
    assert "tom&amp;jerry@mail.ru" in review["text"]


async def test_a_restart_resumes_at_the_same_step_with_every_answer(
    settings: Settings, db: Database, i18n: I18n, clock: FixedClock, bot: Bot
) -> None:
    first = UserClient(
        build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock), bot, 77, "en"
    )
    await start_applying(first)
    await first.send("Иванова Анна")
    await first.send("05.03.2000")
    # A new dispatcher over the same database is what a restarted process is.
    second = UserClient(
        build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock), bot, 77, "en"
    )
    replies = await second.send("+7 913 123 45 67")
    assert replies[0]["text"] == "Phone number: +7 913 123-45-67 ✅"
    [score] = await second.click("After 9 classes", replies[1])
    assert "Step 5 of 8" in score["text"]


async def test_start_in_the_middle_keeps_the_answers_and_apply_offers_to_continue(
    english_user: UserClient,
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    [menu] = await english_user.send("/start")
    [offer] = await english_user.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"]
    [birth] = await english_user.click("▶️ Continue", offer)
    assert "Date of birth" in birth["text"]
    [name] = await english_user.click("⬅️ Back", birth)
    assert "Now: Иванова Анна" in name["text"]


async def test_side_dialogues_keep_the_unfinished_form(english_user: UserClient) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    [menu] = await english_user.send("/start")
    [specialties] = await english_user.click("🎓 Specialties", menu)
    [_card] = await english_user.click("22.02.08 · Metallurgy", specialties)
    [menu] = await english_user.send("/start")
    [colleges] = await english_user.click("👷 I am a student", menu)
    [specs] = await english_user.click(labels(colleges)[0], colleges)
    await english_user.click(labels(specs)[0], specs)
    await english_user.send("МТ-24")
    [menu] = await english_user.send("/start")
    [offer] = await english_user.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"]
    [birth] = await english_user.click("▶️ Continue", offer)
    [name] = await english_user.click("⬅️ Back", birth)
    assert "Now: Иванова Анна" in name["text"]


# --- submit ----------------------------------------------------------------------------------


async def test_submit_creates_one_numbered_application(
    english_user: UserClient, db: Database
) -> None:
    review = await fill_form(english_user)
    mine = await submit(english_user, review)
    assert "Application M-2027-0001" in mine["text"]  # a Latin M for an English reader
    assert "Status: <b>submitted</b>" in mine["text"]
    assert "you are 1 of 1" in mine["text"]
    row = await db.fetchone("SELECT * FROM applications")
    assert row["full_name"] == "Иванова Анна Сергеевна" and row["phone"] == "+79131234567"
    assert row["average_score"] == "4.50" and row["status"] == "submitted"
    assert await db.fetchval("SELECT count(*) FROM documents") == 3
    kinds = await db.fetchall("SELECT kind, content_type, file_size FROM documents ORDER BY id")
    assert [(k["kind"], k["content_type"]) for k in kinds] == [
        ("passport", "photo"),
        ("certificate", "photo"),
        ("photo", "photo"),
    ]
    assert await db.fetchval("SELECT count(*) FROM fsm WHERE data LIKE '%Иванова%'") == 0


async def test_a_double_click_on_submit_creates_exactly_one_application(
    english_user: UserClient, db: Database
) -> None:
    review = await fill_form(english_user)
    await english_user.click_data("af:submit:", review)
    await english_user.click_data("af:submit:", review)
    assert english_user.answers()[-1]["text"] == "Your application has already been submitted."
    assert await db.fetchval("SELECT count(*) FROM applications") == 1


async def test_after_submitting_the_applicant_is_told_what_happens_and_what_to_bring(
    english_user: UserClient,
) -> None:
    mine = await submit(english_user, await fill_form(english_user))
    text = mine["text"]
    assert "<b>What happens now</b>" in text
    assert "🏫 <b>Bring to the college by " in text
    assert "the original of your education certificate" in text


async def test_discarding_changes_to_a_submitted_application_keeps_it_as_it_was(
    english_user: UserClient, db: Database
) -> None:
    mine = await submit(english_user, await fill_form(english_user))
    [review] = await english_user.click("✏️ Change answers", mine)
    assert "Passport (main page): 1 file" in review["text"]  # its documents, not «none yet»
    [_birth] = await english_user.click("✏️ Date of birth", review)
    [review] = await english_user.send("05.03.2001")
    [question] = await english_user.click("✖️ Discard changes", review)
    assert "Discard the changes?" in question["text"] and "deleted" not in question["text"]
    [mine] = await english_user.click("Yes, discard", question)
    assert "Changes discarded: your application is as it was." in mine["text"]
    assert "Status: <b>submitted</b>" in mine["text"]
    row = await db.fetchone("SELECT status, birth_date FROM applications")
    assert row is not None and tuple(row) == ("submitted", "2000-03-05")


async def test_a_second_application_is_not_created_the_first_is_shown(
    english_user: UserClient, db: Database
) -> None:
    await submit(english_user, await fill_form(english_user))
    [menu] = await english_user.send("/start")
    assert "📄 My application" in labels(menu)
    [mine] = await english_user.click("📄 My application", menu)
    assert "Application M-2027-0001" in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM applications") == 1


async def test_a_submitted_application_can_be_edited(
    english_user: UserClient, db: Database
) -> None:
    mine = await submit(english_user, await fill_form(english_user))
    [review] = await english_user.click("✏️ Change answers", mine)
    [dorm] = await english_user.click("✏️ Dormitory", review)
    [review] = await english_user.click("Yes, I need one", dorm)
    [mine] = await english_user.click("💾 Save changes", review)
    assert "Dormitory: needed" in mine["text"]
    assert await db.fetchval("SELECT dormitory FROM applications") == 1
    assert await db.fetchval("SELECT count(*) FROM applications") == 1


async def test_the_staff_get_the_application_with_its_documents(
    dp: Dispatcher, english_user: UserClient, bot: Bot
) -> None:
    await submit(english_user, await fill_form(english_user))
    english_user.session.clear()
    assert await sender_of(dp).drain(bot) == 1
    calls = [(c.method, c.params.get("chat_id")) for c in english_user.session.calls]
    assert calls == [("sendMessage", 1), ("sendPhoto", 1), ("sendPhoto", 1), ("sendPhoto", 1)]
    summary = english_user.session.of("sendMessage")[0]["text"]
    # The staff chat is not a user of the bot: it reads the default language, Russian.
    assert "Новое заявление М-2027-0001" in summary and "Иванова Анна Сергеевна" in summary
    captions = [c["caption"] for c in english_user.session.of("sendPhoto")]
    assert captions[0] == "М-2027-0001 · Паспорт (главный разворот)"


# --- my application: ranking, documents, withdraw, delete --------------------------------------


async def test_ranking_positions_against_budget_places_and_ties(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    scores = {301: "4.10", 302: "4.80", 303: "4.10", 304: "3.90"}
    for user_id, score in scores.items():
        user = UserClient(dp, bot, user_id, "en")
        await submit(user, await fill_form(user, score=score))
    # 301 and 303 tie on the score; 303 brings the original first and wins the tie.
    await db.execute("UPDATE applications SET original_received = 1 WHERE user_id = 303")
    places = {}
    for user_id in scores:
        [menu] = await UserClient(dp, bot, user_id, "en").send("/start")
        [mine] = await UserClient(dp, bot, user_id, "en").click("📄 My application", menu)
        line = next(li for li in mine["text"].splitlines() if "Metallurgy: you are" in li)
        places[user_id] = line
    assert "you are 1 of 4" in places[302]
    assert "you are 2 of 4" in places[303]
    assert "you are 3 of 4" in places[301]
    assert "you are 4 of 4" in places[304]
    assert "state-funded places: to be confirmed" in places[302]


async def test_ties_without_originals_go_by_submission_time(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    from datetime import timedelta

    for user_id in (401, 402):
        user = UserClient(dp, bot, user_id, "en")
        await submit(user, await fill_form(user, score="4.00"))
        clock.current += timedelta(minutes=5)
    repo = ApplicationRepository(db)
    ranking = await repo.ranking("22.02.08", 2027)
    assert [r.number for r in ranking] == ["М-2027-0001", "М-2027-0002"]


async def test_a_withdrawn_application_leaves_the_ranking_and_can_come_back(
    english_user: UserClient, dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    mine = await submit(english_user, await fill_form(english_user))
    [question] = await english_user.click("↩️ Withdraw", mine)
    [mine] = await english_user.click("Yes, withdraw", question)
    assert "Status: <b>withdrawn</b>" in mine["text"]
    assert "not in the ranking" in mine["text"]
    [mine] = await english_user.click("🔁 Submit again", mine)
    assert "Status: <b>submitted</b>" in mine["text"]
    assert "you are 1 of 1" in mine["text"]
    await sender_of(dp).drain(bot)  # the post of the new application
    english_user.session.clear()
    clock.current += STAFF_EVENT_DELAY  # the staff hear of the changes a little later
    await sender_of(dp).drain(bot)
    # Both changes in one message to the staff, not one message per change.
    [text] = [c["text"] for c in english_user.session.of("sendMessage") if c["chat_id"] == 1]
    assert "отозвано поступающим" in text and "снова подано" in text
    assert "Статус сейчас: «подано»" in text


async def test_a_missing_document_can_be_added_later(
    english_user: UserClient, db: Database
) -> None:
    review = await fill_form(english_user, specialties=("13.02.07 · Power supply",))
    mine = await submit(english_user, review)
    assert "⬜ Medical certificate (form 086/u): not sent yet" in mine["text"]
    [kinds] = await english_user.click("📎 Add a document", mine)
    assert labels(kinds)[0] == "⬜ Medical certificate (form 086/u)"
    [_prompt] = await english_user.click("⬜ Medical certificate (form 086/u)", kinds)
    [received] = await english_user.send_document("086.pdf", unique="med")
    [mine] = await english_user.click("✅ Done", received)
    assert "Document added" in mine["text"]
    assert "✅ Medical certificate (form 086/u): 1 file" in mine["text"]
    assert "⬜" not in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM documents WHERE kind = 'medical'") == 1


async def test_delete_my_data_leaves_no_personal_data_in_the_database_file(
    english_user: UserClient, db: Database, settings: Settings
) -> None:
    review = await fill_form(english_user, name="Зюзюкина Снежана Ростиславовна")
    [_email] = await english_user.click("✏️ E-mail", review)
    [review] = await english_user.send("snezhana.zyuzyukina@mail.ru")
    mine = await submit(english_user, review)
    [question] = await english_user.click("🗑 Delete my data", mine)
    assert "cannot be undone" in question["text"]
    [menu] = await english_user.click("Yes, delete everything", question)
    assert "deleted" in menu["text"] and "📝 Apply" in labels(menu)
    for table in ("applications", "documents", "consents", "status_history", "fsm", "outbox"):
        assert await db.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert await db.fetchval("SELECT value FROM counters WHERE name='applications_deleted'") == 1
    await db.close()
    files = [settings.database_path, Path(f"{settings.database_path}-wal")]
    raw = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in ("Зюзюкина", "Снежана", "snezhana.zyuzyukina", "79131234567", "passport-1002"):
        assert secret.encode() not in raw, secret
    await db.connect()


# --- notices of status changes must never fail silently -----------------------------------------


async def test_a_status_change_reaches_the_applicant_in_their_language(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await submit(english_user, await fill_form(english_user))
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    await change_status(
        repo, application, "needs_correction", clock.now(), actor_id=1, comment="Фото <нечёткое>"
    )
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [notice] = [c for c in english_user.session.of("sendMessage") if c["chat_id"] == 1002]
    assert "the admission office asks you to correct it" in notice["text"]
    assert "What to correct: Фото &lt;нечёткое&gt;" in notice["text"]
    assert labels(notice) == ["📄 My application"]


async def test_enrolment_congratulates_and_names_the_specialty_college_and_next_steps(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await submit(english_user, await fill_form(english_user))
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    await change_status(repo, application, "enrolled", clock.now(), actor_id=1)
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [notice] = [c for c in english_user.session.of("sendMessage") if c["chat_id"] == 1002]
    text = notice["text"]
    assert text.startswith("🎉 <b>Congratulations! You are enrolled.</b>")
    assert "Specialty: 22.02.08 Metallurgical Production" in text and "College: " in text
    assert "What comes next" in text and "the status is now" not in text


async def test_a_failed_notice_is_retried_and_recorded_not_lost(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    from datetime import timedelta

    await submit(english_user, await fill_form(english_user))
    sender = sender_of(dp)
    await sender.drain(bot)  # the staff post
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    await change_status(repo, application, "accepted", clock.now(), actor_id=1)
    english_user.session.fail_next("sendMessage", 502, "Bad Gateway")
    await sender.drain(bot)
    row = await db.fetchone("SELECT * FROM outbox WHERE kind = 'status'")
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "Bad Gateway" in row["last_error"]
    assert await sender.drain(bot) == 0  # not due yet: backoff
    clock.current += timedelta(minutes=1)
    english_user.session.clear()
    assert await sender.drain(bot) == 1
    assert "your documents are accepted" in english_user.session.of("sendMessage")[0]["text"]
    assert await db.fetchval("SELECT status FROM outbox WHERE kind = 'status'") == "sent"


async def test_a_notice_to_a_user_who_blocked_the_bot_is_marked_blocked(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await submit(english_user, await fill_form(english_user))
    sender = sender_of(dp)
    await sender.drain(bot)
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    await change_status(repo, application, "rejected", clock.now(), actor_id=1, comment="поздно")
    english_user.session.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await sender.drain(bot)
    assert await db.fetchval("SELECT status FROM outbox WHERE kind = 'status'") == "blocked"
    assert await db.fetchval("SELECT unreachable_at IS NOT NULL FROM users WHERE id = 1002") == 1


async def test_a_notice_waits_out_too_many_requests(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    from datetime import timedelta

    from tests.helpers import FakePacer

    await submit(english_user, await fill_form(english_user))
    sender = sender_of(dp)
    sender.pacer = pacer = FakePacer()  # records the pause instead of sleeping through it
    english_user.session.fail_next("sendMessage", 429, "Too Many Requests", retry_after=30)
    await sender.drain(bot)
    assert ("pause", 30) in pacer.events  # every chat waits, not only this one
    row = await db.fetchone("SELECT * FROM outbox")
    assert row["status"] == "pending"
    start, tries = clock.current, len(english_user.session.calls)
    for seconds in (1, 15, 29):
        clock.current = start + timedelta(seconds=seconds)
        assert await sender.drain(bot) == 0
    assert len(english_user.session.calls) == tries  # nothing sent before retry_after
    clock.current = start + timedelta(seconds=30)
    assert await sender.drain(bot) == 1
    assert await db.fetchval("SELECT status FROM outbox") == "sent"


def test_age_is_checked_on_the_day_in_norilsk() -> None:
    from bot.domain.applications import is_minor

    assert is_minor(date(2008, 11, 27), date(2026, 11, 26))
    assert not is_minor(date(2008, 11, 26), date(2026, 11, 26))


async def test_a_timed_out_notice_is_retried_and_after_too_many_failures_recorded(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    from datetime import timedelta

    await submit(english_user, await fill_form(english_user))
    sender = sender_of(dp)
    sender.max_attempts = 2
    await sender.drain(bot)  # the staff post
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    await change_status(repo, application, "accepted", clock.now(), actor_id=1)
    english_user.session.fail_network_next("sendMessage")
    await sender.drain(bot)
    row = await db.fetchone("SELECT * FROM outbox WHERE kind = 'status'")
    assert row["status"] == "pending" and "timeout" in row["last_error"]
    clock.current += timedelta(minutes=5)
    english_user.session.fail_network_next("sendMessage")
    await sender.drain(bot)
    row = await db.fetchone("SELECT * FROM outbox WHERE kind = 'status'")
    assert row["status"] == "failed" and row["attempts"] == 2  # given up, the error kept
