"""«📝 Apply» on a specialty card: that specialty is already chosen as priority 1 when the form
reaches the specialties, if the education base admits it; the applicant can still change it."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher

from bot.domain.catalog import default_catalog_bytes
from tests.client import UserClient, labels
from tests.helpers import open_list


async def card_of(user: UserClient, label: str) -> dict[str, Any]:
    """The card of a specialty from the list (its button may carry a mark: ❔ unconfirmed)."""
    screen = await open_list(user)
    while not (found := [b for b in labels(screen) if b.endswith(label)]):
        [screen] = await user.click("Next ▶️", screen)
    [card] = await user.click(found[0], screen)
    return card


async def to_specialties(user: UserClient, card: dict[str, Any], base: str) -> dict[str, Any]:
    """From the card's «Apply» to the specialties question."""
    [consent] = await user.click("📝 Apply", card)
    [_name] = await user.click("✅ I agree", consent)
    await user.send("Иванова Анна Сергеевна")
    await user.send("05.03.2000")
    [_saved, base_question] = await user.send("8 (913) 123-45-67")
    [_score] = await user.click(base, base_question)
    [picker] = await user.send("4,5")
    assert "Choose up to 3 specialties" in picker["text"], picker["text"]
    return picker


def chosen(picker: dict[str, Any]) -> list[str]:
    """The chosen specialties in order of priority (1️⃣, 2️⃣, 3️⃣)."""
    return sorted(label for label in labels(picker) if label[:1] in "123" and "️⃣" in label)


async def test_apply_from_a_card_chooses_that_specialty_first(english_user: UserClient) -> None:
    card = await card_of(english_user, "13.02.07 · Power supply")
    picker = await to_specialties(english_user, card, "After 9 classes")
    assert chosen(picker) == ["1️⃣ 13.02.07 · Power supply"]
    assert "✅ Done" in labels(picker)
    # The applicant adds a second one; the card's specialty stays first.
    [picker] = await english_user.click("22.02.08 · Metallurgy", picker)
    assert chosen(picker) == ["1️⃣ 13.02.07 · Power supply", "2️⃣ 22.02.08 · Metallurgy"]


async def test_the_preselected_specialty_can_be_removed(english_user: UserClient) -> None:
    card = await card_of(english_user, "13.02.07 · Power supply")
    picker = await to_specialties(english_user, card, "After 11 classes")
    [picker] = await english_user.click("1️⃣ 13.02.07 · Power supply", picker)
    assert chosen(picker) == []
    [picker] = await english_user.click("22.02.08 · Metallurgy", picker)
    assert chosen(picker) == ["1️⃣ 22.02.08 · Metallurgy"]


async def test_apply_from_the_menu_chooses_nothing(english_user: UserClient) -> None:
    [menu] = await english_user.send("/start")
    picker = await to_specialties(english_user, menu, "After 9 classes")
    assert chosen(picker) == []
    assert "✅ Done" not in labels(picker)


async def test_a_specialty_the_education_base_does_not_admit_is_not_chosen(
    dp: Dispatcher, english_user: UserClient
) -> None:
    raw = default_catalog_bytes().decode()
    block = 'code = "13.02.07"'
    start = raw.index(block)
    field = raw.index("education_base = []", start)
    raw = raw[:field] + "education_base = [11]" + raw[field + len("education_base = []") :]
    version, problems = await dp["catalogs"].load(raw.encode(), "test")
    assert version is not None and not problems
    card = await card_of(english_user, "13.02.07 · Power supply")
    picker = await to_specialties(english_user, card, "After 9 classes")
    assert chosen(picker) == []
    assert not [label for label in labels(picker) if "13.02.07" in label]


async def test_the_card_specialty_survives_a_restart_of_the_form(english_user: UserClient) -> None:
    card = await card_of(english_user, "13.02.07 · Power supply")
    picker = await to_specialties(english_user, card, "After 9 classes")
    assert chosen(picker) == ["1️⃣ 13.02.07 · Power supply"]
    [menu] = await english_user.send("/start")
    [offer] = await english_user.click("📝 Apply", menu)
    [_name] = await english_user.click("🔄 Start over", offer)
    await english_user.send("Иванова Анна Сергеевна")
    await english_user.send("05.03.2000")
    [_saved, base_question] = await english_user.send("8 (913) 123-45-67")
    [_score] = await english_user.click("After 9 classes", base_question)
    [picker] = await english_user.send("4,5")
    assert chosen(picker) == ["1️⃣ 13.02.07 · Power supply"]
