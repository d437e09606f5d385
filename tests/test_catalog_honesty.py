"""What the bot says of the catalogue is what the sources say: unconfirmed specialties shown as
such, unknown values as their own group in every filter, former codes found, «не позднее 20
июня» as a deadline, the operators named in the consent, and under 14 the representative
applies."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.utils.i18n import I18n

from bot.domain.applications import is_minor, representative_applies
from bot.domain.catalog import default_catalog_bytes, parse_catalog
from bot.domain.roles import Scope
from handlers.callbacks import SpecCardCb
from handlers.catalog_texts import choice_notes
from tests.client import UserClient, buttons
from tests.conftest import FixedClock

RAW = default_catalog_bytes().decode("utf-8")
SHIPPED, _problems = parse_catalog(RAW)
assert SHIPPED is not None, _problems
UNCONFIRMED = [s.code for s in SHIPPED.specialties if not s.confirmed]
# 22.02.08 is the first specialty of the file: its lines come first.
METALLURGY_AFTER_9 = ("education_base = []", "education_base = [9]")
METALLURGY_AFTER_11 = ("education_base = []", "education_base = [11]")


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


def specialty_buttons(message: dict[str, Any]) -> list[str]:
    return [label for label in labels(message) if label.removeprefix("❔ ")[:2].isdigit()]


def edited(*changes: tuple[str, str]) -> str:
    text = RAW
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


async def load(dp: Dispatcher, text: str) -> None:
    version, problems = await dp["catalogs"].load(text.encode(), "test")
    assert version is not None, problems


async def open_section(user: UserClient, label: str) -> dict[str, Any]:
    [menu] = await user.send("/start")
    [screen] = await user.click(label, menu)
    return screen


async def filtered_list(user: UserClient, filter_label: str, choice: str) -> dict[str, Any]:
    screen = await open_section(user, "🎓 Specialties")
    [chooser] = await user.click(filter_label, screen)
    [filtered] = await user.click(choice, chooser)
    return filtered


async def every_page(user: UserClient, screen: dict[str, Any]) -> list[str]:
    found = specialty_buttons(screen)
    while forward := [label for label in labels(screen) if label.endswith("▶️")]:
        [screen] = await user.click(forward[0], screen)
        found += specialty_buttons(screen)
    return found


# --- filters: unknown is its own group ----------------------------------------------------------


@pytest.mark.parametrize("base", ["after 9 classes", "after 11 classes"])
async def test_an_unknown_education_base_is_its_own_group_never_a_match(
    english_user: UserClient, base: str
) -> None:
    filtered = await filtered_list(english_user, "📚 Filter by education", base)
    assert "Matches: 0." in filtered["text"]
    assert (
        "Education base still being confirmed: 14 (listed after the matches)." in (filtered["text"])
    )
    assert len(await every_page(english_user, filtered)) == 14  # never hidden


async def test_a_known_base_matches_one_filter_and_is_left_out_of_the_other(
    dp: Dispatcher, english_user: UserClient
) -> None:
    await load(dp, edited(METALLURGY_AFTER_9))
    after_9 = await filtered_list(english_user, "📚 Filter by education", "after 9 classes")
    assert "Matches: 1." in after_9["text"]
    assert "Education base still being confirmed: 13" in after_9["text"]
    assert specialty_buttons(after_9)[0] == "22.02.08 · Metallurgy"

    after_11 = await filtered_list(english_user, "📚 Filter by education", "after 11 classes")
    assert "Matches: 0." in after_11["text"]
    assert "Education base still being confirmed: 13" in after_11["text"]
    assert "22.02.08 · Metallurgy" not in await every_page(english_user, after_11)


async def test_the_college_filter_shows_the_unknown_group_instead_of_nothing(
    user: UserClient,
) -> None:
    screen = await open_section(user, "🎓 Специальности")
    [chooser] = await user.click("🏫 Фильтр по колледжу", screen)
    [taimyr] = await user.click("Таймырский колледж", chooser)
    assert "ничего нет" not in taimyr["text"]
    assert "Подходят: 0." in taimyr["text"]
    assert "Колледж уточняется: 13 (в списке после подходящих)." in taimyr["text"]
    found = await every_page(user, taimyr)
    assert len(found) == 13 and all(label.startswith("❔ ") for label in found)
    assert not any("22.02.08" in label for label in found)  # known to be elsewhere


async def test_college_and_base_filters_together(dp: Dispatcher, english_user: UserClient) -> None:
    await load(dp, edited(METALLURGY_AFTER_9))
    screen = await filtered_list(english_user, "🏫 Filter by college", "Norilsk Technical School")
    [chooser] = await english_user.click("📚 Filter by education", screen)
    [both] = await english_user.click("after 9 classes", chooser)
    assert "Matches: 1." in both["text"]
    assert "College or education base still being confirmed: 13" in both["text"]
    assert specialty_buttons(both)[0] == "22.02.08 · Metallurgy"


async def test_a_college_card_counts_the_specialties_whose_college_is_unknown(
    english_user: UserClient,
) -> None:
    colleges = await open_section(english_user, "🏫 Colleges")
    [card] = await english_user.click("Taimyr College", colleges)
    assert "The list of specialties taught here is being confirmed." in card["text"]
    assert "Where 13 specialties of the cluster are taught is being confirmed" in card["text"]
    [listing] = await english_user.click("🎓 All its specialties", card)
    assert "College still being confirmed: 13" in listing["text"]


# --- unconfirmed specialties ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "section", "legend", "note"),
    [
        (
            "en",
            "🎓 Specialties",
            "❔ 13 specialties: whether they are part of the cluster is being confirmed.",
            "Whether this specialty is part of the cluster is being confirmed.",
        ),
        (
            "ru",
            "🎓 Специальности",
            "❔ 13 специальностей: входят ли они в кластер, уточняется.",
            "Входит ли специальность в кластер, уточняется.",
        ),
    ],
)
async def test_each_unconfirmed_specialty_is_shown_as_such(
    user: UserClient,
    english_user: UserClient,
    language: str,
    section: str,
    legend: str,
    note: str,
) -> None:
    client = english_user if language == "en" else user
    listing = await open_section(client, section)
    assert legend in listing["text"]
    found = await every_page(client, listing)
    # Their own group: the confirmed one first, each unconfirmed one marked.
    assert found[0].startswith("22.02.08 · ")
    assert [label[2:10] for label in found[1:]] == UNCONFIRMED
    assert all(label.startswith("❔ ") for label in found[1:])
    for code in UNCONFIRMED:
        [card] = await client.click_data(SpecCardCb(code=code).pack(), listing)
        assert note in card["text"], code
    [confirmed] = await client.click_data(SpecCardCb(code="22.02.08").pack(), listing)
    assert note not in confirmed["text"]


async def test_a_card_states_nothing_its_sources_do_not(
    user: UserClient, english_user: UserClient
) -> None:
    listing = await open_section(user, "🎓 Специальности")
    [card] = await user.click("22.02.08 · Металлургия", listing)
    text = card["text"]
    assert "Вступительные испытания: уточняется" in text
    assert "конкурс по среднему баллу" not in text
    assert "Квалификация: уточняется" in text
    assert "Источник: Объявление о создании кластера «Металлургия»" in text

    listing = await open_section(english_user, "🎓 Specialties")
    for code in ("21.02.17", "21.02.14", "15.02.17", "15.02.14", "18.02.12"):
        [card] = await english_user.click_data(SpecCardCb(code=code).pack(), listing)
        assert "Qualification: to be confirmed" in card["text"], code
        assert "Entrance tests: to be confirmed" in card["text"], code


# --- former codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("former", "current"),
    [("15.02.12", "❔ 15.02.17 · Промышленное оборудование"), ("22.02.06", "❔ 15.02.19 · ")],
)
async def test_a_former_code_finds_the_current_specialty(
    user: UserClient, former: str, current: str
) -> None:
    listing = await open_section(user, "🎓 Специальности")
    await user.click("🔎 Поиск", listing)
    [found] = await user.send(former)
    [label] = specialty_buttons(found)
    assert label.startswith(current)
    [card] = await user.click(label, found)
    assert f"Прежний код: {former}" in card["text"]


async def test_an_application_stored_with_a_former_code_still_finds_its_specialty() -> None:
    assert SHIPPED is not None
    specialty = SHIPPED.specialty("15.02.12")
    assert specialty is not None and specialty.code == "15.02.17"
    assert SHIPPED.specialty("15.02.17") is specialty


# --- the start of acceptance is a deadline -------------------------------------------------------


async def test_how_to_apply_says_acceptance_starts_no_later_than(
    dp: Dispatcher, english_user: UserClient
) -> None:
    screen = await open_section(english_user, "📋 How to apply")
    assert (
        "Admission 2027 starts no later than 20 June 2027 (a college may start earlier) and "
        "runs until 15 August 2027." in screen["text"]
    )
    [dates] = await english_user.click("📅 Dates", screen)
    assert "The enrolment order follows; its date is being confirmed." in dates["text"]
    assert "There are no exams" not in screen["text"]

    await load(
        dp,
        edited(
            (
                "acceptance_start = 2027-06-20          # не позднее 20 июня\n"
                "acceptance_start_exact = false",
                "acceptance_start = 2027-06-15\nacceptance_start_exact = true",
            ),
            ("confirmed = false\nsource", 'sources = { acceptance_start = "Правила приема"}\n'
             "confirmed = false\nsource"),
        ),
    )  # fmt: skip
    screen = await open_section(english_user, "📋 How to apply")
    assert (
        "Admission 2027: documents are accepted from 15 June 2027 to 15 August 2027."
        in (screen["text"])
    )


async def test_remind_me_says_admission_opens_no_later_than(english_user: UserClient) -> None:
    listing = await open_section(english_user, "🎓 Specialties")
    [card] = await english_user.click("22.02.08 · Metallurgy", listing)
    await english_user.click("🔔 Remind me when admission opens", card)
    assert english_user.answers()[-1]["text"] == (
        "I will remind you before admission 2027 opens: no later than 20 June 2027."
    )


# --- FAQ -----------------------------------------------------------------------------------------


async def test_the_jobs_answer_quotes_the_announcement_and_names_it(user: UserClient) -> None:
    contacts = await open_section(user, "❓ Вопросы и контакты")
    question = next(label for label in labels(contacts) if "трудоустройство" in label)
    [answer] = await user.click(question, contacts)
    assert "гарантиях индустриальных партнёров" in answer["text"]
    assert "гарантирует" not in answer["text"] and "85" not in answer["text"]
    assert "Источник: Объявление о создании кластера «Металлургия»" in answer["text"]


# --- the form -----------------------------------------------------------------------------------


async def start_form(user: UserClient) -> dict[str, Any]:
    [menu] = await user.send("/start")
    [consent] = await user.click("📝 Apply", menu)
    [name] = await user.click("✅ I agree", consent)
    return name


async def pick_screen(user: UserClient, base: str) -> dict[str, Any]:
    await start_form(user)
    await user.send("Иванова Анна Сергеевна")
    await user.send("05.03.2010")
    [_saved, base_q] = await user.send("8 (913) 123-45-67")
    await user.click(base, base_q)
    [picker] = await user.send("4,5")
    return picker


async def test_the_form_tells_which_choices_are_unconfirmed_before_the_choice(
    english_user: UserClient,
) -> None:
    picker = await pick_screen(english_user, "After 9 classes")
    text = picker["text"]
    # Thirteen of fourteen unconfirmed: the one confirmed is named, not a line of codes.
    assert len(UNCONFIRMED) == 13
    assert (
        "❔ Whether the specialties other than 22.02.08 are part of the cluster is being "
        "confirmed; you can still choose any of them."
    ) in text
    assert not [code for code in UNCONFIRMED if code in text]
    assert "not yet confirmed whether they admit after 9 or after 11 classes" in text
    # Applying stays possible where the base is unknown: all 14 can be chosen.
    assert len([label for label in labels(picker) if label[:2].isdigit()]) == 14


@pytest.mark.parametrize("unconfirmed", [1, 3])
def test_a_few_unconfirmed_choices_are_named_by_code(i18n: I18n, unconfirmed: int) -> None:
    specialties = [
        s.model_copy(update={"confirmed": i >= unconfirmed})
        for i, s in enumerate(SHIPPED.specialties)
    ]
    codes = ", ".join(s.code for s in SHIPPED.specialties[:unconfirmed])
    with i18n.context(), i18n.use_locale("en"):
        notes = choice_notes(specialties)
    expected = (
        f"❔ Whether {codes} is part of the cluster is being confirmed; you can still choose it."
        if unconfirmed == 1
        else f"❔ Whether these specialties are part of the cluster is being confirmed: {codes}. "
        "You can still choose them."
    )
    assert notes[0] == expected


async def test_the_form_leaves_out_only_what_surely_does_not_admit(
    dp: Dispatcher, english_user: UserClient
) -> None:
    await load(dp, edited(METALLURGY_AFTER_11))
    picker = await pick_screen(english_user, "After 9 classes")
    codes = [label[:8] for label in labels(picker) if label[:2].isdigit()]
    assert "22.02.08" not in codes and len(codes) == 13


# --- personal data: the operators, and under 14 the representative applies --------------------


async def test_the_consent_names_each_college_as_operator_with_what_is_known(
    dp: Dispatcher, user: UserClient
) -> None:
    [menu] = await user.send("/start")
    [short] = await user.click("📝 Подать заявление", menu)
    assert "Госуслуг" not in short["text"]
    [consent] = await user.click("📄 Полный текст", short)
    text = consent["text"]
    assert "<b>Операторы</b>" in text
    for college in ("Норильский техникум промышленных технологий и сервиса",
                    "Политехнический колледж Заполярного государственного университета",
                    "Таймырский колледж"):  # fmt: skip
        assert f"• {college} (полное наименование уточняется); адрес: уточняется" in text
    assert "До 14 лет согласие даёт и заявление подаёт за вас родитель" in text
    assert "Госуслуг" not in text  # applying there is a draft decree so far, not an option
    [declined] = await user.click("Не даю согласия", consent)
    assert "лично в колледже" in declined["text"] and "Госуслуг" not in declined["text"]

    legal = (
        'legal_name = { ru = "КГБПОУ «Таймырский колледж»", en = "KGBPOU Taimyr College" }\n'
        'address = "647000, Дудинка, ул. Примерная, 1"\n'
        'sources = { legal_name = "Устав колледжа", address = "Устав колледжа" }\n'
    )
    await load(dp, edited(('city = { ru = "Дудинка"', legal + 'city = { ru = "Дудинка"')))
    [menu] = await user.send("/start")
    [short] = await user.click("📝 Подать заявление", menu)
    [consent] = await user.click("📄 Полный текст", short)
    assert (
        "• КГБПОУ «Таймырский колледж»; адрес: 647000, Дудинка, ул. Примерная, 1"
        in (consent["text"])
    )


async def test_under_14_the_parent_or_representative_applies(
    english_user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(date(2026, 11, 26))
    await start_form(english_user)
    await english_user.send("Иванова Анна Сергеевна")
    [asked] = await english_user.send("01.01.2013")  # 13 years old
    assert "you are under 14: a parent or legal representative applies for you" in asked["text"]
    assert "✅ I am the parent or legal representative" in labels(asked)
    [phone] = await english_user.click("✅ I am the parent or legal representative", asked)
    assert "Your phone number" in phone["text"]


async def test_fourteen_year_olds_go_on_without_the_question(
    english_user: UserClient, clock: FixedClock
) -> None:
    clock.set_local_date(date(2026, 11, 26))
    await start_form(english_user)
    await english_user.send("Иванова Анна Сергеевна")
    replies = await english_user.send("26.11.2012")  # 14 today
    assert any("Your phone number" in reply["text"] for reply in replies)


def test_a_representative_applies_until_the_14th_birthday() -> None:
    today = date(2026, 11, 26)
    assert representative_applies(date(2012, 11, 27), today)  # 14 tomorrow
    assert not representative_applies(date(2012, 11, 26), today)  # 14 today
    assert is_minor(date(2012, 11, 26), today)  # still under 18: a parent also consents


def test_staff_of_a_college_see_applications_made_under_a_former_code() -> None:
    assert SHIPPED is not None
    taught = [
        s.model_copy(update={"colleges": ["ntpts"]}) if s.code == "15.02.17" else s
        for s in SHIPPED.specialties
    ]
    catalog = SHIPPED.model_copy(update={"specialties": taught})
    assert Scope(user_id=7, college_id="ntpts").sees(catalog, ["15.02.12"])  # stored before
    assert not Scope(user_id=8, college_id="taimyr").sees(catalog, ["15.02.12"])
