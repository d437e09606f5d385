"""The catalogue as a workbook: written, edited with openpyxl, read back whole, compared; a bad
workbook refused with every problem at its sheet, row and column."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.services.catalog_workbook import (
    SHEETS,
    diff,
    outside_college,
    read_workbook,
    workbook_bytes,
)
from tests.workbook import edit


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    parsed, problems = parse_catalog(default_catalog_bytes())
    assert parsed is not None, problems
    return parsed


def row_of(catalog: Catalog, code: str) -> int:
    return [s.code for s in catalog.specialties].index(code) + 2  # the header is row 1


def test_the_workbook_has_a_sheet_per_part_and_a_row_per_item(catalog: Catalog) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(catalog)))
    assert workbook.sheetnames == ["Специальности", "Колледжи", "Даты приёма", "FAQ"]
    specialties = workbook["Специальности"]
    headers = [cell.value for cell in specialties[1]]
    assert {"Название (ru)", "Название (en)", "Источник", "Источники полей"} <= set(headers)
    assert specialties.max_row == 1 + len(catalog.specialties)
    metallurgy = dict(zip(headers, [cell.value for cell in specialties[2]], strict=True))
    assert metallurgy["Код"] == "22.02.08" and metallurgy["Колледжи"] == "ntpts"
    assert metallurgy["Бюджетных мест"] is None  # уточняется
    assert metallurgy["Источник"].startswith("Объявление о создании кластера")
    power = dict(
        zip(headers, [c.value for c in specialties[row_of(catalog, "13.02.07")]], strict=True)
    )
    assert power["Медицинская справка"] == "да"
    assert power["Источники полей"].startswith("Медицинская справка: Постановление")
    assert workbook["Даты приёма"].max_row == 1 + len(catalog.campaigns)
    assert workbook["FAQ"].max_row == 1 + len(catalog.faq)


def test_a_workbook_read_back_unchanged_is_the_same_catalogue(catalog: Catalog) -> None:
    again, problems = read_workbook(workbook_bytes(catalog), catalog)
    assert problems == []
    assert again == catalog
    assert diff(catalog, again) == []  # type: ignore[arg-type]


def test_values_edited_in_excel_come_back_and_the_diff_names_each(catalog: Catalog) -> None:
    edited = edit(
        workbook_bytes(catalog),
        {
            ("Специальности", 2, "Бюджетных мест"): 25,
            ("Специальности", 2, "Приём после классов"): "9, 11",
            ("Специальности", 2, "Источники полей"): (
                "Бюджетных мест: Приказ колледжа № 12 от 01.03.2027\n"
                "Приём после классов: Правила приема колледжа на 2027 год"
            ),
            ("Даты приёма", 3, "Начало приёма (не позднее)"): date(2027, 6, 15),
            ("Даты приёма", 3, "Начало приёма — дата колледжа"): "да",
            ("Колледжи", 4, "Адрес"): "Дудинка",
        },
    )
    new, problems = read_workbook(edited, catalog)
    assert problems == [], [str(p) for p in problems]
    assert new is not None
    metallurgy = new.specialty("22.02.08")
    assert metallurgy is not None and metallurgy.budget_places == 25
    assert metallurgy.education_base == [9, 11]
    assert metallurgy.sources["budget_places"] == "Приказ колледжа № 12 от 01.03.2027"
    campaign = new.campaign(2027)
    assert campaign is not None and campaign.acceptance_start == date(2027, 6, 15)
    assert campaign.acceptance_start_exact
    assert new.faq == catalog.faq and new.documents == catalog.documents  # kept from the base

    lines = [str(change) for change in diff(catalog, new)]
    assert "22.02.08: бюджетных мест: уточняется → 25" in lines
    assert "22.02.08: приём после классов: уточняется → 9, 11" in lines
    assert (
        "22.02.08: источник (бюджетных мест): уточняется → Приказ колледжа № 12 от 01.03.2027"
        in lines
    )
    assert "2027: начало приёма (не позднее): 20.06.2027 → 15.06.2027" in lines
    assert "Таймырский колледж: адрес: уточняется → Дудинка" in lines
    assert len(lines) == 7


def test_a_bad_workbook_is_refused_with_every_problem_at_its_place(catalog: Catalog) -> None:
    welder = row_of(catalog, "15.01.05")
    edited = edit(
        workbook_bytes(catalog),
        {
            ("Специальности", 2, "Бюджетных мест"): "много",
            ("Специальности", 3, "Название (en)"): None,
            ("Специальности", 3, "Квалификация (ru)"): "техник",  # and no English
            ("Специальности", welder, "Приём после классов"): "10",
            ("Специальности", welder, "Вид"): "курсы",
            ("Даты приёма", 2, "Конец приёма"): "31.02.2026",
            ("Колледжи", 3, "Кратко (ru)"): None,
        },
    )
    new, problems = read_workbook(edited, catalog)
    assert new is None
    assert [str(p) for p in problems] == [
        "«Специальности», row 2, column «Бюджетных мест» (P): 'много' is not a whole number",
        "«Специальности», row 3, column «Название (en)» (F): a value is needed",
        "«Специальности», row 3, column «Квалификация (en)» (J): the other language is filled "
        "in: both languages are needed",
        f"«Специальности», row {welder}, column «Вид» (C): 'курсы' is not a kind (one of: "
        "специальность, профессия)",
        f"«Специальности», row {welder}, column «Приём после классов» (L): '10' is not an "
        "education base: write 9, 11 or «9, 11»",
        "«Колледжи», row 3, column «Кратко (ru)» (D): a value is needed",
        "«Даты приёма», row 2, column «Конец приёма» (D): '31.02.2026' is not a date DD.MM.YYYY",
    ]


def test_rules_across_rows_are_reported_at_their_rows(catalog: Catalog) -> None:
    power = row_of(catalog, "13.02.07")
    edited = edit(
        workbook_bytes(catalog),
        {
            ("Специальности", power, "Код"): "13.02.13",  # the row above has it
            ("Специальности", 2, "Колледжи"): "ntpts, nowhere",
            ("Специальности", 2, "Кратко (ru)"): "М" * 29,
            ("Даты приёма", 2, "Конец приёма"): date(2026, 5, 1),
        },
    )
    new, problems = read_workbook(edited, catalog)
    assert new is None
    messages = [str(p) for p in problems]
    assert (
        f"«Специальности», row {power}, column «Код» (A): '13.02.13' repeats row {power - 1}"
        in (messages)
    )
    assert "«Специальности», row 2, column «Колледжи» (K): unknown college 'nowhere'" in messages
    assert any(m.startswith("«Специальности», row 2, column «Кратко (ru)» (G):") for m in messages)
    assert (
        "«Даты приёма», row 2, column «Конец приёма» (D): 2026-05-01 is before acceptance_start "
        "2026-06-20" in messages
    )


def test_a_workbook_without_its_sheets_or_columns_is_refused(catalog: Catalog) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(catalog)))
    del workbook["FAQ"]
    workbook["Специальности"]["P1"] = "Бюджетные места"  # renamed: unknown, and so missing
    out = io.BytesIO()
    workbook.save(out)
    new, problems = read_workbook(out.getvalue(), catalog)
    assert new is None
    assert [str(p) for p in problems] == [
        "«Специальности», row 1, column «Бюджетные места» (P): unknown column (a typo? the "
        "columns are named as in the download)",
        "«Специальности», row 1, column «Бюджетных мест»: the column is missing",
        "«FAQ»: the sheet is missing",
    ]


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_one_problem(catalog: Catalog, content: bytes) -> None:
    new, problems = read_workbook(content, catalog)
    assert new is None
    assert [str(p) for p in problems] == ["the file is not a valid XLSX workbook"]


def test_a_text_that_looks_like_a_formula_stays_text(catalog: Catalog) -> None:
    edited = edit(workbook_bytes(catalog), {("Колледжи", 2, "Телефон"): "+7 3919 22-33-44"})
    new, problems = read_workbook(edited, catalog)
    assert new is not None, problems
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(new)))
    cell = workbook["Колледжи"]["K2"]
    assert cell.value == "+7 3919 22-33-44" and cell.data_type == "s" and cell.quotePrefix


def test_a_replaced_code_is_one_item_in_the_diff(catalog: Catalog) -> None:
    text = (
        default_catalog_bytes()
        .decode()
        .replace('code = "15.02.17"\nformer_codes = ["15.02.12"]', 'code = "15.02.12"', 1)
    )
    old, problems = parse_catalog(text)
    assert old is not None, problems
    lines = [str(change) for change in diff(old, catalog)]
    assert lines == ["15.02.12 → 15.02.17: код: 15.02.12 → 15.02.17",
                     "15.02.12 → 15.02.17: прежние коды: уточняется → 15.02.12"]  # fmt: skip


def test_staff_of_a_college_change_only_its_rows(catalog: Catalog) -> None:
    edited = edit(
        workbook_bytes(catalog),
        {
            ("Специальности", 2, "Бюджетных мест"): 25,  # 22.02.08, taught at ntpts
            ("Специальности", 2, "Источники полей"): "Бюджетных мест: Приказ № 12",
            ("Специальности", 3, "Колледжи"): "ntpts",  # 21.02.18: ntpts adds itself
            ("Колледжи", 2, "Адрес"): "Норильск",  # ntpts's own row
        },
    )
    new, problems = read_workbook(edited, catalog)
    assert new is not None, problems
    changes = diff(catalog, new)
    assert outside_college(changes, catalog, new, "ntpts") == []
    refused = {str(c) for c in outside_college(changes, catalog, new, "taimyr")}
    assert refused == {str(c) for c in changes}  # nothing of it is Taimyr's

    faq = edit(workbook_bytes(catalog), {("FAQ", 2, "Ответ (ru)"): "Нет."})
    other, problems = read_workbook(faq, catalog)
    assert other is not None, problems
    assert outside_college(diff(catalog, other), catalog, other, "ntpts")  # the administrators'


def test_every_sheet_names_its_columns_once() -> None:
    for sheet in SHEETS:
        headers = [column.header for column in sheet.columns]
        assert len(headers) == len(set(headers)), sheet.title


def test_unreadable_cells_and_the_catalogues_rules_are_reported_in_one_go(
    catalog: Catalog,
) -> None:
    """A cell that cannot be read does not hide what the catalogue's rules find elsewhere (a
    bad code, a link that is not one): the file is fixed in one round, not one per kind."""
    edited = edit(
        workbook_bytes(catalog),
        {
            ("Специальности", 2, "Бюджетных мест"): "много",
            ("Специальности", 3, "Код"): "22.2.08",
            ("Колледжи", 2, "Сайт"): "ntpts.ru",
            ("Колледжи", 3, "E-mail"): "priem(at)zgu.ru",
            ("Колледжи", 4, "Сайт"): "https://taimyr-college.ru/priem",  # a good one
        },
    )
    new, problems = read_workbook(edited, catalog)
    assert new is None
    assert [str(p) for p in problems] == [
        "«Специальности», row 2, column «Бюджетных мест» (P): 'много' is not a whole number",
        "«Колледжи», row 2, column «Сайт» (M): 'ntpts.ru' is not a link like https://college.ru",
        "«Колледжи», row 3, column «E-mail» (L): 'priem(at)zgu.ru' is not an e-mail address",
        "«Специальности», row 3, column «Код» (A): '22.2.08' is not a FGOS code NN.NN.NN",
    ]
