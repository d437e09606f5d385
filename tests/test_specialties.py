"""Specialties: list, pages, filters, card, search; colleges; how to apply."""

from __future__ import annotations

from datetime import date

import pytest

from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import open_list


def specialty_buttons(message: dict) -> list[str]:
    """Buttons of specialties, as shown: an unconfirmed one carries «❔ »."""
    return [label for label in labels(message) if label.removeprefix("❔ ")[:2].isdigit()]


async def test_all_fourteen_specialties_are_listed_over_pages(english_user: UserClient) -> None:
    first = await open_list(english_user)
    page1 = specialty_buttons(first)
    [second] = await english_user.click("Next ▶️", first)
    page2 = specialty_buttons(second)
    assert len(page1) + len(page2) == 14
    assert len(set(page1 + page2)) == 14
    assert "Page 2 of 2" in second["text"]
    [back] = await english_user.click("◀️ Back", second)
    assert specialty_buttons(back) == page1


async def test_college_filter_shows_only_that_colleges_specialties(
    english_user: UserClient,
) -> None:
    screen = await open_list(english_user)
    [chooser] = await english_user.click("🏫 Filter by college", screen)
    college_label = next(
        label
        for label in labels(chooser)
        if "Norilsk" in label or "NTPTS" in label or "techn" in label.lower()
    )
    [filtered] = await english_user.click(college_label, chooser)
    # Its own specialty first; those whose college is not known yet follow as their own group.
    assert specialty_buttons(filtered)[0] == "22.02.08 · Metallurgy"
    assert "Matches: 1." in filtered["text"]
    assert "College still being confirmed: 13 (listed after the matches)." in filtered["text"]


async def test_education_filter_keeps_specialties_whose_base_is_not_known_apart(
    english_user: UserClient,
) -> None:
    screen = await open_list(english_user)
    [chooser] = await english_user.click("📚 Filter by education", screen)
    [filtered] = await english_user.click("after 9 classes", chooser)
    assert "Admission: after 9 classes" in filtered["text"]
    assert "Matches: 0." in filtered["text"]  # not known is not a match, nor hidden
    assert "Education base still being confirmed: 14" in filtered["text"]


async def test_specialty_card_shows_every_field_and_unknowns_as_to_be_confirmed(
    user: UserClient,
) -> None:
    screen = await open_list(user, "🎓 Специальности")
    [card] = await user.click("22.02.08 · Металлургия", screen)
    text = card["text"]
    assert "<b>22.02.08 Металлургическое производство (по видам производства)</b>" in text
    assert "Специальность" in text and "новая программа" in text
    assert "Норильский техникум промышленных технологий и сервиса" in text
    assert "Бюджетных мест: уточняется" in text
    assert "Срок обучения: уточняется" in text
    assert "Норникел" in text
    assert labels(card)[0] == "📝 Подать заявление"
    [consent] = await user.click("📝 Подать заявление", card)
    assert "Согласие на обработку персональных данных" in consent["text"]


async def test_medical_certificate_is_shown_where_required(english_user: UserClient) -> None:
    screen = await open_list(english_user)
    [page2] = await english_user.click("Next ▶️", screen)
    [card] = await english_user.click("❔ 15.01.05 · Welder", page2)
    assert "Medical certificate: to be confirmed" in card["text"]
    [back] = await english_user.click("⬅️ To the list", card)
    assert specialty_buttons(back) == specialty_buttons(page2)  # back to the same page
    [page1] = await english_user.click("◀️ Back", back)
    [card] = await english_user.click("❔ 13.02.07 · Power supply", page1)
    assert "Medical certificate: required (form 086/u)" in card["text"]  # a Latin u
    assert (
        "Medical certificate — source: Decree No. 697 of the Government of Russia of "
        "14 August 2013" in card["text"]
    )


async def test_search_finds_by_part_of_name_or_code(user: UserClient) -> None:
    screen = await open_list(user, "🎓 Специальности")
    await user.click("🔎 Поиск", screen)
    [found] = await user.send("свар")
    assert specialty_buttons(found) == [
        "❔ 15.02.19 · Сварочное производство",
        "❔ 15.01.05 · Сварщик",
    ]
    await user.click("🔎 Искать ещё", found)
    [found] = await user.send("13.02")
    assert {label[2:10] for label in specialty_buttons(found)} == {"13.02.13", "13.02.07"}


@pytest.mark.parametrize(
    ("language", "query", "codes"),
    [
        ("ru", "сварка", ["15.01.05", "15.02.19"]),  # «сварки», «сварочное»: other forms
        ("ru", "сваршик", ["15.01.05", "15.02.19"]),  # a typo
        ("en", "welding", ["15.02.19", "15.01.05"]),  # the example the English prompt gives
    ],
)
async def test_search_finds_other_forms_of_a_word_and_typos(
    user: UserClient, english_user: UserClient, language: str, query: str, codes: list[str]
) -> None:
    client = user if language == "ru" else english_user
    label, search = {"ru": ("🎓 Специальности", "🔎 Поиск"), "en": ("🎓 Specialties", "🔎 Search")}[
        language
    ]
    screen = await open_list(client, label)
    [prompt] = await client.click(search, screen)
    assert {"ru": "«сварка»", "en": "«welding»"}[language] in prompt["text"]  # its own example
    [found] = await client.send(query)
    assert [button.removeprefix("❔ ")[:8] for button in specialty_buttons(found)] == codes


async def test_search_with_nothing_found_stays_in_search(user: UserClient) -> None:
    screen = await open_list(user, "🎓 Специальности")
    await user.click("🔎 Поиск", screen)
    [nothing] = await user.send("космонавтика")
    assert "космонавтика" in nothing["text"]
    [found] = await user.send("маркшейд")
    assert specialty_buttons(found) == ["❔ 21.02.14 · Маркшейдерское дело"]


async def test_search_answers_a_sticker_with_a_hint_and_cancel_leaves(user: UserClient) -> None:
    screen = await open_list(user, "🎓 Специальности")
    await user.click("🔎 Поиск", screen)
    [hint] = await user.send_sticker()
    assert "/cancel" in hint["text"]
    [cancelled] = await user.send("/cancel")
    assert "Отменено" in cancelled["text"]
    [menu_again] = await user.send("свар")  # no longer searching: the fallback offers matches
    assert specialty_buttons(menu_again)


async def test_user_text_is_escaped_in_html(user: UserClient) -> None:
    screen = await open_list(user, "🎓 Специальности")
    await user.click("🔎 Поиск", screen)
    [reply] = await user.send("<b>Ivan</b> & Co")
    assert "&lt;b&gt;Ivan&lt;/b&gt; &amp; Co" in reply["text"]


async def test_colleges_list_the_three_and_their_specialties(english_user: UserClient) -> None:
    screen = await open_list(english_user, "🏫 Colleges")
    assert len(labels(screen)) == 4  # three colleges and the menu
    assert "Dudinka" in screen["text"]
    first = labels(screen)[0]
    [card] = await english_user.click(first, screen)
    assert "Address: to be confirmed" in card["text"]
    assert "22.02.08 · Metallurgy" in labels(card)


async def test_how_to_apply_shows_the_current_campaign_dates(
    user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(date(2026, 3, 1))
    screen = await open_list(user, "📋 Как поступить")
    lines = screen["text"].splitlines()
    assert lines[0] == "<b>Приёмная кампания 2026</b>"
    assert (
        "Приём 2026 начнётся не позднее 20 июня 2026 (колледж может начать раньше) "
        "и продлится до 15 августа 2026."
    ) in lines  # the Order sets the latest start; a college's own date is not published yet
    assert "Госуслуг" in screen["text"]
    assert "средн" in screen["text"]  # ranking by the average score
    [dates] = await user.click("📅 Сроки", screen)  # the dates on a screen of their own
    lines = dates["text"].splitlines()
    assert "• На специальности со вступительными испытаниями — до 10 августа 2026." in lines
    assert "• Оригинал аттестата: до 15 августа 2026." in lines
    # No college has published the date of its enrollment order: none is shown as a fact.
    assert not [line for line in lines if "Приказ о зачислении" in line]


async def test_how_to_apply_moves_to_next_year_after_the_campaign(
    english_user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(date(2026, 11, 26))
    screen = await open_list(english_user, "📋 How to apply")
    assert "Admission 2027" in screen["text"]
    assert "20 June 2027" in screen["text"]
