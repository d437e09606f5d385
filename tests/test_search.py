"""Questions typed in free text: the search over the catalogue (word forms, typos, slang from
the catalogue's synonyms, Latin letters, English), its accuracy on the evaluation set, and the
answer in the chat: the entry shown at once, «Perhaps you meant…», the way to a person after
one confirmation, greetings; what nobody answered is kept for the staff and erased like
questions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.domain.search import ReplyKind, SearchIndex
from bot.emulator import FakeBotAPI
from bot.services.catalog import CatalogService
from db.catalog import CatalogRepository
from db.database import Database
from db.unanswered import UnansweredRepository
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.e2e import BotProcess
from tests.helpers import database_bytes, relayed, start_applying

ROOT = Path(__file__).resolve().parent.parent


def bench() -> ModuleType:
    """bench/faq.py: the evaluation set, how it is graded and the targets."""
    spec = importlib.util.spec_from_file_location("bench_faq", ROOT / "bench" / "faq.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def catalog_of(text: str) -> Catalog:
    catalog, problems = parse_catalog(text)
    assert catalog is not None, problems
    return catalog


def default_text() -> str:
    return default_catalog_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    """The index of the shipped catalogue, built once for the module (as once per version)."""
    return SearchIndex(catalog_of(default_text()))


def best(index: SearchIndex, text: str) -> str | None:
    reply = index.ask(text)
    if reply.kind is not ReplyKind.answer or reply.best is None:
        return None
    return reply.best.target.id


# --- the search ---------------------------------------------------------------------------


def test_the_evaluation_set_meets_the_targets(index: SearchIndex) -> None:
    faq = bench()
    questions = faq.load_questions()
    assert len(questions) >= 120
    assert sum(q.expected == {faq.PERSON} for q in questions) >= 20
    assert sum(q.split == "holdout" for q in questions) >= 0.25 * len(questions)
    score = faq.grade(index, questions)
    wrong = [f"{q.text!r} → {shown}" for q, shown in score.failures]
    assert score.top1 >= faq.TARGETS["top1"], wrong
    assert score.top3 >= faq.TARGETS["top3"], wrong
    assert score.person >= faq.TARGETS["person"], wrong


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("сварщиком", "specialty:15.01.05"),  # a word form
        ("маркшейдр", "specialty:21.02.14"),  # a typo
        ("стипендя", "faq:6"),
        ("стипуха", "faq:6"),  # slang, from the catalogue's synonyms
        ("общага есть", "faq:5"),
        ("obshchezhitie", "faq:5"),  # Russian in Latin letters
        ("dormitories", "faq:5"),  # English, by its stem
        ("колледж в Дудинке", "college:taimyr"),
        ("13.02.07", "specialty:13.02.07"),
        ("ЭЛЕКТРОСНАБЖЕНИЕ!!!", "specialty:13.02.07"),
    ],
)
def test_word_forms_typos_slang_latin_and_english_find_the_entry(
    index: SearchIndex, typed: str, expected: str
) -> None:
    assert best(index, typed) == expected


@pytest.mark.parametrize(
    "typed", ["дают ли отсрочку от армии", "есть ли у вас бассейн", "how do I get a visa"]
)
def test_what_the_catalogue_does_not_know_goes_to_a_person(index: SearchIndex, typed: str) -> None:
    assert index.ask(typed).kind is ReplyKind.unsure


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("Привет!", ReplyKind.greeting),
        ("добрый вечер", ReplyKind.greeting),
        ("hello", ReplyKind.greeting),
        ("спасибо большое", ReplyKind.thanks),
        ("thank you", ReplyKind.thanks),
        ("ок", ReplyKind.empty),
    ],
)
def test_greetings_and_thanks_are_told_apart(index: SearchIndex, typed: str, kind: str) -> None:
    assert index.ask(typed).kind is kind


def test_a_greeting_before_a_question_does_not_hide_it(index: SearchIndex) -> None:
    assert best(index, "привет, сколько бюджетных мест?") == "faq:1"


def test_synonyms_are_the_catalogues_and_change_with_it() -> None:
    text = default_text()
    assert best(SearchIndex(catalog_of(text)), "хата есть?") is None
    edited = text + '\n[[synonyms]]\nwords = ["хата"]\nmeans = "общежитие"\n'
    assert best(SearchIndex(catalog_of(edited)), "хата есть?") == "faq:5"


def test_a_former_code_still_finds_the_specialty() -> None:
    text = default_text()
    assert best(SearchIndex(catalog_of(text)), "13.02.01") is None
    edited = text.replace('code = "13.02.07"', 'code = "13.02.07"\nformer_codes = ["13.02.01"]')
    index = SearchIndex(catalog_of(edited))
    assert best(index, "13.02.01") == "specialty:13.02.07"
    assert index.renamed["13.02.01"] == "13.02.07"
    assert index.renamed["15.02.12"] == "15.02.17"  # as shipped


def test_catalog_check_reports_bad_synonyms_and_former_codes() -> None:
    text = (
        default_text().replace('code = "13.02.07"', 'code = "13.02.07"\nformer_codes = ["13.2"]')
        + '\n[[synonyms]]\nwords = ["Общага"]\nmeans = "общежитие"\n'
        + '\n[[synonyms]]\nwords = []\nmeans = "ничего"\n'
    )
    catalog, problems = parse_catalog(text)
    assert catalog is None
    messages = [str(p) for p in problems]
    shipped = len(catalog_of(default_text()).synonyms)
    assert "specialties[7].former_codes: '13.2' is not a FGOS code NN.NN.NN" in messages
    assert f"synonyms[{shipped}].words[0]: 'Общага' repeats synonyms[0]" in messages
    assert any(m.startswith(f"synonyms[{shipped + 1}].words:") for m in messages)


async def test_the_index_is_built_once_per_catalogue_version(db: Database) -> None:
    catalogs = CatalogService(CatalogRepository(db))
    first = await catalogs.current()
    index = await catalogs.search_index(first)
    assert await catalogs.search_index(await catalogs.current()) is index  # same version
    edited = default_text() + '\n[[synonyms]]\nwords = ["хата"]\nmeans = "общежитие"\n'
    version, problems = await catalogs.load(edited.encode(), "test")
    assert version is not None, problems
    newer = await catalogs.search_index(await catalogs.current())
    assert newer is not index
    assert newer.ask("хата есть?").best.target.id == "faq:5"  # type: ignore[union-attr]


# --- in the chat ----------------------------------------------------------------------------


async def test_a_typed_faq_question_gets_the_faq_answer(user: UserClient) -> None:
    [reply] = await user.send("скока бюджетных мест")
    assert "Количество бюджетных мест по каждой специальности пока уточняется" in reply["text"]
    assert "✍️ Спросить приёмную комиссию" in labels(reply)
    assert "🏠 Главное меню" in labels(reply)


async def test_a_typed_question_in_english_is_answered_in_english(
    english_user: UserClient,
) -> None:
    [reply] = await english_user.send("is there a dorm?")
    assert "Information about dormitories is still to be confirmed" in reply["text"]
    assert "✍️ Ask the admission office" in labels(reply)


async def test_a_typed_specialty_shows_its_card(user: UserClient) -> None:
    [reply] = await user.send("хочу стать сварщиком")
    assert reply["text"].startswith("<b>15.01.05 Сварщик")
    assert "📝 Подать заявление" in labels(reply)
    assert "✍️ Спросить приёмную комиссию" in labels(reply)


async def test_close_alternatives_are_offered_as_perhaps_you_meant(user: UserClient) -> None:
    [reply] = await user.send("сварка")
    assert "Возможно, вы имели в виду" in reply["text"]
    shown = [label for label in labels(reply) if label[:2].isdigit()]
    assert shown and shown[0].startswith(("15.02.19", "15.01.05"))  # the welding ones
    [card] = await user.click(shown[0], reply)
    assert card["text"].startswith("<b>" + shown[0][:8])


async def test_a_greeting_and_thanks_get_a_short_answer_and_the_menu(user: UserClient) -> None:
    [hello] = await user.send("Привет")
    assert hello["text"].startswith("Здравствуйте!")
    assert "🎓 Специальности" in labels(hello)
    [thanks] = await user.send("спасибо!")
    assert thanks["text"].startswith("Пожалуйста!")
    assert "🎓 Специальности" in labels(thanks)


async def test_an_out_of_scope_question_reaches_the_staff_chat_after_one_confirmation(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    question = "Дают ли отсрочку от армии? <важно>"
    [reply] = await user.send(question)
    assert "нет ответа" in reply["text"]
    assert labels(reply)[0] == "✍️ Спросить приёмную комиссию"  # the relay at once
    assert "🎓 Специальности" in labels(reply)
    [confirm] = await user.click("✍️ Спросить приёмную комиссию", reply)
    assert "Дают ли отсрочку от армии? &lt;важно&gt;" in confirm["text"]
    assert await relayed(dp, bot, chat_id=1) == []  # nothing before the confirmation
    [sent] = await user.click("✅ Отправить", confirm)
    assert "Вопрос №1 отправлен" in sent["text"]
    [relay] = await relayed(dp, bot, chat_id=1)
    assert relay["text"].startswith("#Q1 · ")
    assert "Дают ли отсрочку от армии? &lt;важно&gt;" in relay["text"]
    row = await db.fetchone("SELECT text, normalized, question_id FROM unanswered")
    assert row is not None and row["text"] == question and row["question_id"] == 1
    assert row["normalized"] == "армия важно давать отсрочка"


async def test_a_second_press_of_send_sends_nothing_more(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    [reply] = await user.send("можно ли прийти с собакой")
    [confirm] = await user.click("✍️ Спросить приёмную комиссию", reply)
    await user.click("✅ Отправить", confirm)
    [again] = await user.click_data(
        next(data for text, data in _buttons(confirm) if text == "✅ Отправить"), confirm
    )
    assert "Напишите вопрос ещё раз" in again["text"]
    assert await db.fetchval("SELECT count(*) FROM questions") == 1
    assert len(await relayed(dp, bot, chat_id=1)) == 1


async def test_an_older_confirmation_never_sends_a_newer_question(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    [first] = await user.send("можно ли прийти с собакой")
    [confirm] = await user.click("✍️ Спросить приёмную комиссию", first)
    await user.send("а с котом")  # typed instead of pressing «Send»
    [stale] = await user.click("✅ Отправить", confirm)
    assert "Напишите вопрос ещё раз" in stale["text"]
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert await relayed(dp, bot, chat_id=1) == []


async def test_a_question_too_long_to_relay_as_it_is_opens_the_question_prompt(
    user: UserClient,
) -> None:
    [reply] = await user.send("бассейн " * 300)
    [prompt] = await user.click("✍️ Спросить приёмную комиссию", reply)
    assert "Вопрос приёмной комиссии" in prompt["text"]


async def test_cancel_sends_nothing(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    [reply] = await user.send("сколько стоит проезд на автобусе")
    [confirm] = await user.click("✍️ Спросить приёмную комиссию", reply)
    [cancelled] = await user.click("✖️ Отменить", confirm)
    assert cancelled["text"].startswith("Вопрос не отправлен.")
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert await relayed(dp, bot, chat_id=1) == []


async def test_a_found_answer_can_still_go_to_the_committee(
    user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    [reply] = await user.send("будет ли общежитие для иногородних из Дудинки")
    [confirm] = await user.click("✍️ Спросить приёмную комиссию", reply)
    await user.click("✅ Отправить", confirm)
    [relay] = await relayed(dp, bot, chat_id=1)
    assert "будет ли общежитие для иногородних из Дудинки" in relay["text"]


async def test_during_a_form_step_typed_text_stays_an_answer_to_that_step(
    english_user: UserClient, db: Database
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна Сергеевна")
    [hint] = await english_user.send("how many free places are there")
    assert "Please type the date as DD.MM.YYYY" in hint["text"]
    assert "state-funded places" not in hint["text"]
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 0


async def test_what_nobody_answered_is_kept_for_the_staff_with_counts(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    for user_id, text in ((2001, "Есть ли бассейн?"), (2002, "бассейн есть"), (2002, "ок")):
        await UserClient(dp, bot, user_id=user_id).send(text)
    [group] = await UnansweredRepository(db).most_asked()
    assert (group.normalized, group.count, group.askers) == ("бассейн", 2, 2)
    assert group.example == "бассейн есть"


async def test_unanswered_questions_go_with_delete_my_data(
    english_user: UserClient, db: Database
) -> None:
    await english_user.send("can I bring my cat Barsik")
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 1
    [confirm] = await english_user.send("/delete_my_data")
    await english_user.click("Yes, delete everything", confirm)
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 0


async def test_unanswered_questions_are_erased_after_the_retention_period(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings
) -> None:
    await UserClient(dp, bot, user_id=3004).send("Можно ли заселиться с котом Барсиком?")
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 1
    clock.current = clock.current.replace(year=2027, month=2, day=23)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 1  # 89 days: kept
    clock.current = clock.current.replace(day=25)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM unanswered") == 0
    assert "Барсиком".encode() not in database_bytes(settings.database_path)


# --- the real bot process against the Bot API emulator -------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_the_running_bot_answers_typed_questions_and_relays_one_after_confirmation(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    staff = fake.user(900, language_code="en", started=True)  # an administrator who uses the bot
    process = BotProcess(fake, tmp_path, ADMIN_IDS="900")
    await process.start()
    try:
        user = fake.user(601, language_code="en")
        user.send("when can i apply")
        answer = await user.wait_reply()
        assert "Applications are accepted every year under the same rules" in answer["text"]
        user.send("can I bring my cat to the dormitory")
        offer = await user.wait_reply()
        user.click("✍️ Ask the admission office", offer)
        confirm = await user.wait_reply()
        assert "can I bring my cat to the dormitory" in confirm["text"]
        user.click("✅ Send", confirm)
        sent = await user.wait_reply()
        assert "Question №1 is sent" in sent["text"]
        relay = await staff.wait_reply(after=0)
        assert relay["text"].startswith("#Q1 · ")
        assert "can I bring my cat to the dormitory" in relay["text"]
        assert fake.rejected == []
    finally:
        await process.stop()


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]
