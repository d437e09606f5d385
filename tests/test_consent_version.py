"""A new version of the consent text is asked of existing applicants before their data is
processed any further (changing answers, adding documents, submitting again, going on with the
form); after «I agree» they go on where they were going."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Dispatcher

import bot.domain.applications
from bot.domain.catalog import Catalog
from bot.services.catalog import CatalogService
from db.applications import ApplicationRepository
from db.database import Database
from tests.client import UserClient, labels
from tests.helpers import fill_form, start_applying, submit

OLD = bot.domain.applications.CONSENT_VERSION
NEW = "2099-01-01"


def new_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator changed the consent text (and its version) while the bot runs."""
    monkeypatch.setattr(bot.domain.applications, "CONSENT_VERSION", NEW)


def asks_the_new_consent(screen: dict[str, Any]) -> bool:
    return (
        "consent text has changed" in screen["text"]
        and f"Version {NEW}" in screen["text"]
        and labels(screen) == ["✅ I agree", "📄 Full text", "I do not agree"]
    )


async def versions(db: Database) -> list[str]:
    """The versions of the consents given, by their text (without the operators' mark)."""
    rows = await db.fetchall("SELECT version FROM consents ORDER BY id")
    return [r["version"].partition("+")[0] for r in rows]


@pytest.fixture
async def mine(english_user: UserClient) -> dict[str, Any]:
    """«My application» of a submitted application, consent of the old version."""
    return await submit(english_user, await fill_form(english_user))


async def test_changing_answers_asks_the_new_consent_then_goes_on_to_the_edit(
    english_user: UserClient, mine: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_text(monkeypatch)
    [consent] = await english_user.click("✏️ Change answers", mine)
    assert asks_the_new_consent(consent)
    assert await versions(db) == [OLD]
    [review] = await english_user.click("✅ I agree", consent)
    assert "Please check your application" in review["text"] and "💾 Save changes" in labels(review)
    assert await versions(db) == [OLD, NEW]
    [dorm] = await english_user.click("✏️ Dormitory", review)
    [review] = await english_user.click("Yes, I need one", dorm)
    [mine] = await english_user.click("💾 Save changes", review)
    assert "Dormitory: needed" in mine["text"]


async def test_adding_a_document_asks_the_new_consent_then_offers_the_kinds(
    english_user: UserClient, mine: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_text(monkeypatch)
    [consent] = await english_user.click("📎 Add a document", mine)
    assert asks_the_new_consent(consent)
    [kinds] = await english_user.click("✅ I agree", consent)
    assert "Which document do you want to add?" in kinds["text"]
    [_prompt] = await english_user.click("Medical certificate (form 086/u)", kinds)
    [received] = await english_user.send_document("086.pdf", unique="med")
    [mine] = await english_user.click("✅ Done", received)
    assert "Document added" in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM documents") == 4


async def test_a_new_version_during_an_upload_is_asked_before_the_files_are_saved(
    english_user: UserClient, mine: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    [kinds] = await english_user.click("📎 Add a document", mine)
    await english_user.click("Medical certificate (form 086/u)", kinds)
    [received] = await english_user.send_document("086.pdf", unique="med")
    new_text(monkeypatch)
    [consent] = await english_user.send_document("086-2.pdf", unique="med2")
    assert asks_the_new_consent(consent)
    [prompt] = await english_user.click("✅ I agree", consent)  # the upload goes on
    assert "Received: 1 file." in prompt["text"]
    [received] = await english_user.send_document("086-2.pdf", unique="med2")
    monkeypatch.setattr(bot.domain.applications, "CONSENT_VERSION", "2099-02-02")  # and again
    [consent] = await english_user.click("✅ Done", received)
    assert "consent text has changed" in consent["text"]
    assert await db.fetchval("SELECT count(*) FROM documents") == 3  # nothing saved yet
    [mine] = await english_user.click("✅ I agree", consent)
    assert "Document added" in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM documents WHERE kind = 'medical'") == 2


async def test_submitting_again_asks_the_new_consent_withdrawing_does_not(
    english_user: UserClient, mine: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_text(monkeypatch)
    [question] = await english_user.click("↩️ Withdraw", mine)
    [mine] = await english_user.click("Yes, withdraw", question)
    assert "Status: <b>withdrawn</b>" in mine["text"]
    [consent] = await english_user.click("🔁 Submit again", mine)
    assert asks_the_new_consent(consent)
    application = await ApplicationRepository(db).for_user(1002)
    assert application is not None and application.status == "withdrawn"
    [mine] = await english_user.click("✅ I agree", consent)
    assert "Status: <b>submitted</b>" in mine["text"]


async def test_declining_the_new_version_changes_nothing(
    english_user: UserClient, mine: dict[str, Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_text(monkeypatch)
    [consent] = await english_user.click("✏️ Change answers", mine)
    [reply] = await english_user.click("I do not agree", consent)
    assert "nothing was changed" in reply["text"] and "📄 My application" in labels(reply)
    assert await versions(db) == [OLD]
    [mine] = await english_user.click("📄 My application", reply)
    assert "Status: <b>submitted</b>" in mine["text"]  # viewing needs no new consent


async def test_a_new_version_in_the_middle_of_the_form_is_asked_before_the_next_answer(
    english_user: UserClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_applying(english_user)
    await english_user.send("Иванова Анна")
    new_text(monkeypatch)
    [consent] = await english_user.send("05.03.2000")
    assert asks_the_new_consent(consent)
    assert "05.03.2000" not in (await db.fetchval("SELECT group_concat(data) FROM fsm") or "")
    [birth] = await english_user.click("✅ I agree", consent)  # the same question again
    assert "Date of birth" in birth["text"]
    [phone] = await english_user.send("05.03.2000")
    assert "phone" in phone["text"].lower()
    assert await versions(db) == [OLD, NEW]


async def test_a_new_version_before_submit_is_asked_then_the_application_is_submitted(
    english_user: UserClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = await fill_form(english_user)
    new_text(monkeypatch)
    [consent] = await english_user.click("✅ Submit", review)
    assert asks_the_new_consent(consent)
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    [mine] = await english_user.click("✅ I agree", consent)
    assert "Application M-2027-0001" in mine["text"]
    assert await db.fetchval("SELECT count(*) FROM applications") == 1
    await english_user.click("✅ I agree", consent)  # a second click does nothing more
    assert await versions(db) == [OLD, NEW]


async def test_the_first_consent_then_the_form(english_user: UserClient, db: Database) -> None:
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("📝 Apply", menu)
    assert "consent text has changed" not in consent["text"]
    [name] = await english_user.click("✅ I agree", consent)
    assert "Your full name" in name["text"]
    assert english_user.answers()[-1]["text"] == "Thank you, your consent is saved."
    assert await versions(db) == [OLD]


async def test_a_new_operator_address_asks_the_consent_again_and_a_translation_does_not(
    english_user: UserClient, mine: dict[str, Any], db: Database, dp: Dispatcher
) -> None:
    """The consent names each college with its full name and address (152-ФЗ ст. 9 ч. 4): once
    the catalogue names another address, the consent given before names the wrong operator."""
    catalogs: CatalogService = dp["catalogs"]

    def moved(catalog: Catalog) -> Catalog:
        first = catalog.colleges[0].model_copy(update={"address": "Норильск, ул. Новая, 1"})
        return catalog.model_copy(update={"colleges": [first, *catalog.colleges[1:]]})

    def translated(catalog: Catalog) -> Catalog:
        first = catalog.colleges[0]
        name = first.name.model_copy(update={"en": first.name.en + " (NTS)"})
        return catalog.model_copy(
            update={"colleges": [first.model_copy(update={"name": name}), *catalog.colleges[1:]]}
        )

    assert (await catalogs.edit(translated, "test"))[0] is not None
    [review] = await english_user.click("✏️ Change answers", mine)
    assert "Please check your application" in review["text"]  # no new consent for English

    [mine] = await english_user.click("✖️ Discard changes", review)
    [mine] = await english_user.click("Yes, discard", mine)
    assert (await catalogs.edit(moved, "test"))[0] is not None
    [consent] = await english_user.click("✏️ Change answers", mine)
    assert "consent text has changed" in consent["text"]
    [full] = await english_user.click("📄 Full text", consent)
    assert "Норильск, ул. Новая, 1" in full["text"]  # the operator as it is named now
    consent = full
    [review] = await english_user.click("✅ I agree", consent)
    assert "Please check your application" in review["text"]
    marks = [
        r["version"].partition("+")[2]
        for r in await db.fetchall("SELECT version FROM consents ORDER BY id")
    ]
    assert len(marks) == 2 and marks[0] != marks[1]
