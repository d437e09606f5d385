"""/catalog: the staff download the catalogue as a workbook, edit it, send it back; a correct
file is shown as its changes and applied on confirmation, a bad one refused with every problem
at its place; versions are kept with who and when, and one can go back to an older one; staff
of a college change only its rows; those who follow a specialty are told once what became
known. And the same from the shell: ``python -m bot catalog export|load|versions|rollback``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.catalog import default_catalog_bytes
from bot.services.catalog import NEWS_DELAY, CatalogService
from db.catalog import CatalogRepository
from db.database import Database
from handlers.callbacks import SpecCardCb
from tests.client import UserClient, buttons
from tests.conftest import FixedClock
from tests.helpers import join, person, sender_of
from tests.workbook import CAMPAIGN_2027, METALLURGY, POWER, edit

ROOT = Path(__file__).resolve().parent.parent


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


async def download(client: UserClient) -> bytes:
    """/catalog → «📥 Download the workbook»: the file the bot sent."""
    [menu] = await client.send("/catalog")
    before = len(client.session.calls)
    await client.click("📥 Download the workbook", menu)
    [sent] = [c.params for c in client.session.calls[before:] if c.method == "sendDocument"]
    assert sent["chat_id"] == client.user["id"]
    return bytes(sent["document"].data)


async def upload(client: UserClient, content: bytes, unique: str = "wb") -> dict[str, Any]:
    [reply] = await client.send_document(
        "catalog-v1.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        content=content,
        unique=unique,
    )
    return reply


async def open_card(client: UserClient, code: str) -> dict[str, Any]:
    [menu] = await client.send("/start")
    [shown] = await client.click_data(SpecCardCb(code=code).pack(), menu)
    return shown


async def card(client: UserClient, code: str) -> str:
    return str((await open_card(client, code))["text"])


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot) -> UserClient:
    return UserClient(dp, bot, user_id=1, language_code="en")  # ADMIN_IDS=1


async def test_an_edited_workbook_shows_its_changes_and_applies_only_on_confirmation(
    admin: UserClient, user: UserClient, english_user: UserClient, db: Database
) -> None:
    content = edit(
        await download(admin),
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): 25,
            ("Даты приёма", CAMPAIGN_2027, "Конец приёма"): date(2027, 8, 20),
        },
    )
    shown = await upload(admin, content)
    assert "The workbook is correct" in shown["text"]
    assert "22.02.08: бюджетных мест: уточняется → 25" in shown["text"]
    assert "2027: конец приёма: 15.08.2027 → 20.08.2027" in shown["text"]
    assert "2 changes" in shown["text"]
    assert labels(shown) == ["✅ Apply", "✖️ Cancel"]
    # Nothing is changed before the confirmation.
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1
    assert "State-funded places: to be confirmed" in await card(english_user, "22.02.08")

    [done] = await admin.click("✅ Apply", shown)
    assert "Done: catalogue version №2" in done["text"]
    assert "💺 State-funded places: 25" in await card(english_user, "22.02.08")
    assert "💺 Бюджетных мест: 25" in await card(user, "22.02.08")
    [menu] = await english_user.send("/start")
    [howto] = await english_user.click("📋 How to apply", menu)
    assert "runs until 20 August 2027" in howto["text"]
    row = await db.fetchone("SELECT loaded_by, source FROM catalog_versions WHERE id = 2")
    assert row is not None and (row["loaded_by"], row["source"]) == (1, "workbook:catalog-v1.xlsx")

    # A second press applies nothing more.
    assert await admin.click("✅ Apply", shown) == []
    assert "applied or cancelled already" in admin.answers()[-1]["text"]
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 2


async def test_cancel_changes_nothing(admin: UserClient, db: Database) -> None:
    content = edit(await download(admin), {("Специальности", METALLURGY, "Бюджетных мест"): 25})
    shown = await upload(admin, content)
    [cancelled] = await admin.click("✖️ Cancel", shown)
    assert "Cancelled: nothing was changed." in cancelled["text"]
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1
    assert await db.fetchval("SELECT count(*) FROM catalog_drafts") == 0


async def test_a_bad_workbook_is_refused_with_every_problem_at_its_sheet_row_and_column(
    admin: UserClient, db: Database
) -> None:
    original = await download(admin)
    bad = edit(
        original,
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): -3,
            ("Специальности", METALLURGY, "Код"): "22.2.08",
            ("Специальности", POWER, "Название (en)"): None,
            ("Даты приёма", CAMPAIGN_2027, "Оригиналы до"): date(2027, 6, 1),
            ("Колледжи", 2, "Сайт"): "ntpts.ru",
            ("FAQ", 2, "Ответ (en)"): None,
        },
    )
    refused = await upload(admin, bad)
    text = refused["text"]
    assert "The workbook was not accepted" in text and "Nothing was changed" in text
    for expected in (
        "«Специальности», row 2, column «Код» (A): '22.2.08' is not a FGOS code NN.NN.NN",
        "«Специальности», row 2, column «Бюджетных мест» (P):",
        "«Специальности», row 9, column «Название (en)» (F): a value is needed",
        "«Даты приёма», row 3, column «Оригиналы до» (F): 2027-06-01 is before "
        "acceptance_start 2027-06-20",
        "«Колледжи», row 2, column «Сайт»",
        "«FAQ», row 2, column «Ответ (en)» (D): a value is needed",
    ):
        assert expected in text, (expected, text)
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1
    # The corrected file is taken as it comes.
    fixed = edit(original, {("Специальности", METALLURGY, "Бюджетных мест"): 30})
    [shown] = await admin.send_document("мой каталог.xlsx", content=fixed, unique="fixed")
    assert "22.02.08: бюджетных мест: уточняется → 30" in shown["text"]


async def test_going_back_to_a_version_restores_its_values(
    admin: UserClient, english_user: UserClient, db: Database
) -> None:
    content = edit(await download(admin), {("Специальности", METALLURGY, "Бюджетных мест"): 25})
    await admin.click("✅ Apply", await upload(admin, content))
    assert "State-funded places: 25" in await card(english_user, "22.02.08")

    [menu] = await admin.send("/catalog")
    [versions] = await admin.click("🗂 Versions", menu)
    assert "№2" in versions["text"] and "← current" in versions["text"]
    assert "workbook catalog-v1.xlsx" in versions["text"]
    assert "the catalogue shipped with the bot" in versions["text"]
    assert labels(versions)[0] == "↩️ №1"  # the current one has no button
    [back] = await admin.click("↩️ №1", versions)
    assert "Back to version №1" in back["text"]
    assert "22.02.08: бюджетных мест: 25 → уточняется" in back["text"]
    [done] = await admin.click("✅ Apply", back)
    assert "Done: catalogue version №3" in done["text"]
    assert "State-funded places: to be confirmed" in await card(english_user, "22.02.08")
    [versions] = await admin.click("🗂 Versions", done)
    assert "back to version №1" in versions["text"]
    assert await db.fetchval("SELECT loaded_by FROM catalog_versions WHERE id = 3") == 1


async def test_a_change_made_meanwhile_is_never_overwritten_unseen(
    dp: Dispatcher, admin: UserClient, db: Database
) -> None:
    content = edit(await download(admin), {("Специальности", METALLURGY, "Бюджетных мест"): 25})
    shown = await upload(admin, content)
    catalogs: CatalogService = dp["catalogs"]
    toml = default_catalog_bytes().replace('ru = "Металлургия"'.encode(), 'ru = "Литьё"'.encode())
    version, problems = await catalogs.load(toml, "edited.toml")  # from the shell, meanwhile
    assert (version, problems) == (2, [])
    [refused] = await admin.click("✅ Apply", shown)
    assert "changed by someone else meanwhile (it is version №2 now)" in refused["text"]
    catalog = await catalogs.current()
    assert catalog.specialty("22.02.08").budget_places is None  # type: ignore[union-attr]
    assert catalog.specialty("22.02.08").short_name.ru == "Литьё"  # type: ignore[union-attr]
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 2


async def test_staff_of_a_college_change_only_its_rows(
    dp: Dispatcher, bot: Bot, admin: UserClient, db: Database
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "Norilsk Technical School")
    [menu] = await member.send("/catalog")
    assert "You may change the rows of Norilsk Technical School" in menu["text"]
    original = await download(member)
    other_college = edit(
        original,
        {
            ("Специальности", POWER, "Бюджетных мест"): 40,  # not taught at ntpts
            ("Колледжи", 4, "Адрес"): "Дудинка",  # Taimyr College's row
            ("Даты приёма", CAMPAIGN_2027, "Конец приёма"): date(2027, 8, 20),
        },
    )
    refused = await upload(member, other_college)
    assert "Nothing was changed" in refused["text"] and "not yours to make" in refused["text"]
    for line in (
        "13.02.07: бюджетных мест: уточняется → 40",
        "Таймырский колледж: адрес: уточняется → Дудинка",
        "2027: конец приёма: 15.08.2027 → 20.08.2027",
    ):
        assert line in refused["text"]
    assert await db.fetchval("SELECT count(*) FROM catalog_drafts") == 0

    own = edit(
        original,
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): 25,
            ("Колледжи", 2, "Адрес"): "Норильск, ул. Кирова, 1",
        },
    )
    shown = await upload(member, own, unique="own")
    [done] = await member.click("✅ Apply", shown)
    assert "Done: catalogue version №2" in done["text"]
    assert await db.fetchval("SELECT loaded_by FROM catalog_versions WHERE id = 2") == 2001


async def test_only_staff_reach_the_catalogue(english_user: UserClient) -> None:
    [reply] = await english_user.send("/catalog")
    assert reply["text"] == "No access."
    [menu] = await english_user.send("/start")
    assert await english_user.click_data("ct:download:0", menu) == []
    assert english_user.answers()[-1]["text"] == "No access."
    assert english_user.session.of("sendDocument") == []


async def follow(client: UserClient, code: str) -> None:
    shown = await open_card(client, code)
    await client.click(next(text for text in labels(shown) if text.startswith("🔔")), shown)


async def test_followers_are_told_once_what_became_known(
    dp: Dispatcher,
    bot: Bot,
    admin: UserClient,
    user: UserClient,
    english_user: UserClient,
    clock: FixedClock,
) -> None:
    await follow(english_user, "22.02.08")
    await follow(user, "13.02.07")
    stranger = person(dp, bot, 3001)
    await stranger.send("/start")
    original = await download(admin)
    first = edit(original, {("Специальности", METALLURGY, "Бюджетных мест"): 20})
    await admin.click("✅ Apply", await upload(admin, first))
    # Corrected a minute later: one message about where the values ended up.
    second = edit(
        original,
        {
            ("Специальности", METALLURGY, "Бюджетных мест"): 25,
            ("Специальности", METALLURGY, "Медицинская справка"): "да",
        },
    )
    clock.current += timedelta(minutes=1)
    await admin.click("✅ Apply", await upload(admin, second, unique="second"))

    sender = sender_of(dp)
    bot.session.clear()  # type: ignore[attr-defined]
    await sender.drain(bot)
    assert bot.session.of("sendMessage") == []  # type: ignore[attr-defined]  # not yet due
    clock.current += NEWS_DELAY
    await sender.drain(bot)
    [news] = bot.session.of("sendMessage")  # type: ignore[attr-defined]
    assert news["chat_id"] == english_user.user["id"]
    assert "News of the specialties you asked to be reminded of" in news["text"]
    assert "22.02.08 Metallurgical Production" in news["text"]
    assert "💺 State-funded places: 25" in news["text"]
    assert "🩺 Medical certificate: required (form 086/u)" in news["text"]
    assert "State-funded places: 20" not in news["text"]
    assert "22.02.08 · Metallurgy" in labels(news)
    clock.current += NEWS_DELAY
    await sender.drain(bot)
    assert len(bot.session.of("sendMessage")) == 1  # type: ignore[attr-defined]  # once

    # A date of the admission they can apply to concerns every follower, in their language.
    bot.session.clear()  # type: ignore[attr-defined]
    dates = edit(
        await download(admin), {("Даты приёма", CAMPAIGN_2027, "Конец приёма"): date(2027, 8, 20)}
    )
    await admin.click("✅ Apply", await upload(admin, dates, unique="dates"))
    clock.current += NEWS_DELAY
    await sender.drain(bot)
    told = {m["chat_id"]: m["text"] for m in bot.session.of("sendMessage") if m["chat_id"] != 1}  # type: ignore[attr-defined]
    assert set(told) == {english_user.user["id"], user.user["id"]}
    assert "runs until 20 August 2027" in told[english_user.user["id"]]
    assert "продлится до 20 августа 2027" in told[user.user["id"]]


async def test_a_value_that_becomes_unknown_again_is_no_news(
    dp: Dispatcher, bot: Bot, admin: UserClient, english_user: UserClient, clock: FixedClock
) -> None:
    await follow(english_user, "22.02.08")
    content = edit(await download(admin), {("Специальности", METALLURGY, "Бюджетных мест"): 25})
    await admin.click("✅ Apply", await upload(admin, content))
    sender = sender_of(dp)
    clock.current += NEWS_DELAY
    await sender.drain(bot)
    [menu] = await admin.send("/catalog")
    [versions] = await admin.click("🗂 Versions", menu)
    [back] = await admin.click("↩️ №1", versions)
    await admin.click("✅ Apply", back)
    bot.session.clear()  # type: ignore[attr-defined]
    clock.current += NEWS_DELAY
    await sender.drain(bot)
    assert [m for m in bot.session.of("sendMessage") if m["chat_id"] == 1002] == []  # type: ignore[attr-defined]


# --- the shell ---------------------------------------------------------------------------------


def run_cli(*args: str, db_path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env.update({"DATABASE_PATH": str(db_path), "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_shell_exports_loads_lists_and_goes_back(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    workbook = tmp_path / "catalog.xlsx"
    result = run_cli("catalog", "export", str(workbook), db_path=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "catalogue version 1" in result.stdout

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        edit(workbook.read_bytes(), {("Специальности", METALLURGY, "Бюджетных мест"): -1})
    )
    result = run_cli("catalog", "load", str(bad), db_path=db_path, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}: «Специальности», row 2, column «Бюджетных мест» (P):" in result.stdout
    assert "nothing was changed" in result.stderr

    workbook.write_bytes(
        edit(workbook.read_bytes(), {("Специальности", METALLURGY, "Бюджетных мест"): 25})
    )
    result = run_cli("catalog", "load", "--dry-run", str(workbook), db_path=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "22.02.08: бюджетных мест: уточняется → 25" in result.stdout
    assert "nothing was changed (--dry-run)" in result.stdout
    result = run_cli("catalog", "load", str(workbook), db_path=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "loaded as catalogue version 2" in result.stdout

    result = run_cli("catalog", "rollback", "1", db_path=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "22.02.08: бюджетных мест: 25 → уточняется" in result.stdout
    assert "version 1 is current again, as version 3" in result.stdout
    result = run_cli("catalog", "versions", db_path=db_path, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "2", "1"]
    assert lines[0].endswith("version:1  <- current") and "default" in lines[2]

    async with Database(db_path) as db:
        catalog = await CatalogService(CatalogRepository(db)).current()
        assert catalog.specialty("22.02.08").budget_places is None  # type: ignore[union-attr]
