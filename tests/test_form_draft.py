"""The form as a table of steps, and its draft kept apart from every other dialogue: a search,
a student registration or a question ends without touching the answers; only the form's own end
removes them."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from bot.domain.applications import consent_version
from bot.domain.draft import Draft
from db.applications import ConsentRepository
from db.database import Database
from handlers.application.steps import BY_STATE, ORDER, TYPED
from handlers.states import AddDocument, Apply
from tests.client import UserClient, buttons
from tests.conftest import FixedClock
from tests.helpers import (
    answer_until_the_documents,
    fill_form,
    register,
    shipped_catalog,
    start_applying,
)

ROOT = Path(__file__).resolve().parent.parent


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


async def continue_applying(user: UserClient) -> dict[str, Any]:
    [menu] = await user.send("/start")
    [offer] = await user.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"], offer["text"]
    [question] = await user.click("▶️ Continue", offer)
    return question


async def search_in_the_middle_of_the_form(user: UserClient) -> None:
    """The name answered, then to the menu and into the search of specialties."""
    await start_applying(user)
    await user.send("Иванова Анна Сергеевна")
    [menu] = await user.send("/start")
    [specialties] = await user.click("🎓 Specialties", menu)
    await user.click("🔎 Search", specialties)


async def test_a_search_and_a_student_registration_in_the_middle_keep_the_answers(
    english_user: UserClient,
) -> None:
    await search_in_the_middle_of_the_form(english_user)
    [found] = await english_user.send("22.02")  # found: the search ends
    assert "Found" in found["text"]
    screen = await register(english_user)  # registered: that dialogue ends too
    assert "Registered" in screen["text"]
    birth = await continue_applying(english_user)
    assert "Date of birth" in birth["text"]
    [name] = await english_user.click("⬅️ Back", birth)
    assert "Now: Иванова Анна Сергеевна" in name["text"]


async def test_cancel_outside_the_form_keeps_the_answers_inside_it_drops_them(
    english_user: UserClient, db: Database
) -> None:
    await search_in_the_middle_of_the_form(english_user)
    [cancelled] = await english_user.send("/cancel")  # the search is cancelled, not the form
    assert "Cancelled" in cancelled["text"]
    birth = await continue_applying(english_user)
    assert "Date of birth" in birth["text"]
    [cancelled] = await english_user.send("/cancel")  # inside the form: the answers go
    assert "Cancelled" in cancelled["text"]
    assert "Иванова" not in (await db.fetchval("SELECT group_concat(data) FROM fsm") or "")
    [menu] = await english_user.send("/start")
    [name] = await english_user.click("📝 Apply", menu)  # a new form, nothing kept
    assert "Your full name" in name["text"] and "Now:" not in name["text"]


async def test_the_draft_has_a_record_of_its_own_and_the_dialogue_holds_only_the_step(
    english_user: UserClient, db: Database
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна Сергеевна")
    rows = await db.fetchall("SELECT key, state, data FROM fsm WHERE user_id = 1002 ORDER BY key")
    by_destiny = {row["key"].rpartition(":")[2]: row for row in rows}
    assert set(by_destiny) == {"default", "form"}
    assert by_destiny["default"]["state"] == Apply.birth_date.state
    assert by_destiny["default"]["data"] == "{}"
    assert by_destiny["form"]["state"] is None
    draft = Draft.model_validate_json(by_destiny["form"]["data"])
    assert draft.full_name == "Иванова Анна Сергеевна" and draft.minor is None


async def test_continue_after_leaving_at_the_documents_goes_to_the_first_one_missing(
    english_user: UserClient,
) -> None:
    await answer_until_the_documents(english_user)
    [certificate] = await english_user.send_photo("passport")
    assert "Document 2 of 3" in certificate["text"]
    await english_user.send("/start")
    certificate = await continue_applying(english_user)
    assert "Document 2 of 3" in certificate["text"]
    assert "Education certificate" in certificate["text"]
    [_photo] = await english_user.send_photo("certificate")
    [review] = await english_user.send_photo("photo")
    assert "✅ Passport (main page): 1 file" in review["text"]


async def test_a_review_left_for_the_menu_continues_at_the_review(
    english_user: UserClient,
) -> None:
    review = await fill_form(english_user)
    [_score] = await english_user.click("✏️ Score", review)  # changing one answer, then away
    await english_user.send("/start")
    review = await continue_applying(english_user)
    assert "Please check your application" in review["text"]
    assert "✅ Submit" in labels(review)


async def test_a_draft_kept_before_the_upgrade_goes_on_with_every_answer(
    settings: Settings, i18n: I18n, clock: FixedClock, bot: Bot, tmp_path: Path
) -> None:
    """Before, the draft was the dialogue's data under "form"; migration 0010 moves it."""
    async with Database(tmp_path / "old.sqlite3") as db:
        await db.migrate(target=9)
        await ConsentRepository(db).give(1002, consent_version(shipped_catalog()), clock.now())
        mid_form = {
            "form": {"minor": False, "full_name": "Старова Анна Юрьевна", "email": None},
            "step": "email",
            "editing": False,
            "preselect": "",
            "after_consent": None,
        }
        upload = {"doc_kind": "medical", "files": []}  # another dialogue: left as it is
        rows = [
            (f"{bot.id}:1002::1002::default", 1002, Apply.email.state, mid_form),
            (f"{bot.id}:1003::1003::default", 1003, None, {"form": {}, "preselect": ""}),
            (f"{bot.id}:1004::1004::default", 1004, AddDocument.upload.state, upload),
        ]
        for key, user, state, data in rows:
            await db.execute(
                "INSERT INTO fsm (key, user_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?)",
                (key, user, state, json.dumps(data), "2026-11-25T00:00:00+00:00"),
            )
        await db.migrate()
        rows_now = await db.fetchall("SELECT key, state, data FROM fsm")
        found = {r["key"]: (r["state"], json.loads(r["data"])) for r in rows_now}
        assert found == {
            f"{bot.id}:1002::1002::default": (Apply.email.state, {"after_consent": None}),
            f"{bot.id}:1002::1002::form": (
                None,
                {"minor": False, "full_name": "Старова Анна Юрьевна", "email": ""},
            ),
            f"{bot.id}:1004::1004::default": (AddDocument.upload.state, upload),
        }
        dp = build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock)
        user = UserClient(dp, bot, 1002, "en")
        [base] = await user.send("anna@mail.ru")  # the question they were at
        assert "Your education" in base["text"]
        draft = await db.fetchval(f"SELECT data FROM fsm WHERE key = '{bot.id}:1002::1002::form'")
        assert Draft.model_validate_json(draft).email == "anna@mail.ru"
        [menu] = await user.send("/start")
        [offer] = await user.click("📝 Apply", menu)
        assert "unfinished application" in offer["text"]
        [birth] = await user.click("▶️ Continue", offer)  # the first question not answered
        assert "Date of birth" in birth["text"]
        [name] = await user.click("⬅️ Back", birth)
        assert "Now: Старова Анна Юрьевна" in name["text"]


# --- the table --------------------------------------------------------------------------------


def raised_codes(function: str) -> set[str]:
    """The error codes a parser of bot/domain/validation.py raises (``Invalid("code", …)``)."""
    tree = ast.parse((ROOT / "bot" / "domain" / "validation.py").read_text(encoding="utf-8"))
    [node] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function]
    return {
        call.args[0].value
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", None) == "Invalid"
        and isinstance(call.args[0], ast.Constant)
    }


def test_every_error_a_typed_step_can_meet_has_a_hint_of_its_own() -> None:
    parsers = {
        "full_name": "parse_full_name",
        "birth_date": "parse_birth_date",
        "phone": "parse_phone",
        "email": "parse_email",
        "average_score": "parse_score",
        "representative": "parse_birth_date",  # under 14: another date may be typed instead
    }
    assert {step.name for step in TYPED} == set(parsers)
    for step in TYPED:
        codes = raised_codes(parsers[step.name])
        assert codes, step.name
        assert codes <= set(step.hints), (step.name, codes - set(step.hints))


def test_every_state_of_the_form_has_a_row() -> None:
    rows = {step.state for step in BY_STATE.values()}
    assert set(Apply.__all_states__) - rows == {Apply.consent}  # the consent is no question
    assert ORDER[0].state == Apply.full_name and ORDER[-1].state == Apply.review
