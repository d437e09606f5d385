"""Staff reports: ranking order and ties, the ranking list in the chat with the budget line,
the Excel and CSV files read back, statistics with the chart, and who may see what."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import BufferedInputFile

from bot.domain.applications import STATUSES
from bot.domain.catalog import default_catalog_bytes, parse_catalog
from bot.services.reports import (
    RANK_COLUMNS,
    SHEET_TITLE_MAX,
    ChartLabels,
    SpecialtyInfo,
    chunk_lines,
    looks_like_formula,
    rank,
    render_chart,
    sheet_title,
)
from db.applications import ApplicationData, ApplicationRepository
from db.database import Database
from db.reports import ReportRepository, ReportRow
from db.staff import StaffRepository
from tests.client import UserClient, labels
from tests.helpers import METALLURGY, ORE, T0, YEAR, add, grant, set_budget

TZ = ZoneInfo("Asia/Krasnoyarsk")

CATALOG, _problems = parse_catalog(default_catalog_bytes())
assert CATALOG is not None


async def open_reports(client: UserClient) -> dict[str, Any]:
    [menu] = await client.send("/reports")
    return menu


async def exported(client: UserClient, label: str) -> BufferedInputFile:
    menu = await open_reports(client)
    client.session.clear()
    await client.click(label, menu)
    [sent] = client.session.of("sendDocument")
    document = sent["document"]
    assert isinstance(document, BufferedInputFile)
    return document


async def workbook_of(client: UserClient) -> openpyxl.Workbook:
    document = await exported(client, "📗 Excel")
    assert document.filename == f"applications-{YEAR}.xlsx" or document.filename.startswith(
        f"applications-{YEAR}-"
    )
    return openpyxl.load_workbook(io.BytesIO(document.data))


def values(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


# --- ranking ----------------------------------------------------------------------------------


def row(
    id: int,
    score: str,
    *,
    original: bool = False,
    minutes: int = 0,
    status: str = "submitted",
    specialties: tuple[str, ...] = (METALLURGY,),
) -> ReportRow:
    data = ApplicationData(
        full_name="Тестова Анна", birth_date=date(2008, 1, 1), phone="+79131234567", email=None,
        education_base=9, average_score=Decimal(score), specialties=specialties,
        dormitory=False, channel="bot", minor=False,
    )  # fmt: skip
    return ReportRow(
        id=id, number=f"М-{YEAR}-{id:04d}", user_id=100 + id, status=status, data=data,
        original_received=original, medical_received=False,
        submitted_at=T0 + timedelta(minutes=minutes), updated_at=T0, documents=3,
    )  # fmt: skip


def test_rank_orders_by_score_then_original_then_submission_then_id() -> None:
    rows = [
        row(1, "4.10", minutes=1),
        row(2, "4.80", minutes=9),
        row(3, "4.10", original=True, minutes=5),  # wins the tie with 1 by the original
        row(4, "4.10", minutes=0),  # earlier than 1: wins that tie
        row(5, "4.10", minutes=0),  # same instant as 4: the lower id first
        row(6, "5.00", status="withdrawn"),  # not competing
        row(7, "5.00", status="rejected"),
        row(8, "5.00", specialties=(ORE,)),  # another specialty
        row(9, "3.50", specialties=(ORE, METALLURGY), status="accepted"),  # second priority
    ]
    assert [r.id for r in rank(reversed(rows), METALLURGY)] == [2, 3, 4, 5, 1, 9]
    assert [r.id for r in rank(rows, ORE)] == [8, 9]


async def test_the_pure_ranking_agrees_with_the_sql_ranking(db: Database) -> None:
    await add(db, 301, "4.10", at=T0 + timedelta(minutes=3))
    await add(db, 302, "4.80", at=T0 + timedelta(minutes=9))
    await add(db, 303, "4.10", at=T0 + timedelta(minutes=5), original=True)
    await add(db, 304, "4.10", at=T0)
    await add(db, 305, "4.95", status="withdrawn")
    await add(db, 306, "3.00", codes=(ORE, METALLURGY), status="enrolled")  # enrolled before 0012
    # Enrolled to its first choice: it no longer competes for its second.
    enrolled = await add(db, 307, "4.99", codes=(ORE, METALLURGY))
    await db.execute(
        "UPDATE applications SET status = 'enrolled', enrolled_code = ? WHERE id = ?",
        (ORE, enrolled),
    )
    rows = await ReportRepository(db).applications(YEAR)
    repo = ApplicationRepository(db)
    sql = await repo.ranking(METALLURGY, YEAR)
    expected = ["М-2027-0002", "М-2027-0003", "М-2027-0004", "М-2027-0001", "М-2027-0006"]
    assert [e.number for e in sql] == expected
    assert [r.number for r in rank(rows, METALLURGY)] == expected
    ore = ["М-2027-0007", "М-2027-0006"]
    assert [e.number for e in await repo.ranking(ORE, YEAR)] == ore
    assert [r.number for r in rank(rows, ORE)] == ore
    stats = await ReportRepository(db).statistics(YEAR, TZ)
    assert (stats.by_specialty[METALLURGY], stats.by_specialty[ORE]) == (5, 2)


async def test_the_ranking_list_shows_places_originals_and_the_budget_line(
    dp: Dispatcher, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 2)
    await add(db, 301, "4.10", at=T0 + timedelta(minutes=3))
    await add(db, 302, "4.80")
    await add(db, 303, "4.10", at=T0 + timedelta(minutes=5), original=True)
    await add(db, 304, "3.90", status="rejected")
    menu = await open_reports(admin)
    [lists] = await admin.click("🏆 Ranking lists", menu)
    assert len(labels(lists)) == 14 + 1  # every specialty for an administrator, and back
    [ranking] = await admin.click("22.02.08 · Metallurgy", lists)
    lines = ranking["text"].splitlines()
    start = lines.index("1. M-2027-0002 — 4.80")
    assert lines[start : start + 4] == [
        "1. M-2027-0002 — 4.80",
        "2. M-2027-0003 — 4.10 ✓",
        "— state-funded places: 2 —",
        "3. M-2027-0001 — 4.10",
    ]
    assert "M-2027-0004" not in ranking["text"]  # rejected: not competing
    assert "Тестова" not in ranking["text"]  # numbers, not names
    assert "⬅️ Reports" in labels(ranking)


async def test_a_long_ranking_list_is_split_under_the_message_limit(
    dp: Dispatcher, db: Database, admin: UserClient
) -> None:
    for i in range(400):
        await add(db, 1000 + i, f"{3 + (i * 7 % 200) / 100:.2f}", at=T0 + timedelta(seconds=i))
    menu = await open_reports(admin)
    [lists] = await admin.click("🏆 Ranking lists", menu)
    replies = await admin.click("22.02.08 · Metallurgy", lists)
    assert len(replies) >= 3
    assert all(len(r["text"]) <= 4096 for r in replies)
    assert [bool(labels(r)) for r in replies] == [False] * (len(replies) - 1) + [True]
    numbers = [
        line.split()[1]
        for r in replies
        for line in r["text"].splitlines()
        if line[:1].isdigit() and ". M-" in line
    ]
    sql = await ApplicationRepository(db).ranking(METALLURGY, YEAR)
    assert numbers == [e.number.replace("М", "M", 1) for e in sql]  # a Latin M in English


def test_chunk_lines_keeps_every_line_in_order_under_the_limit() -> None:
    lines = [f"{i}. line" for i in range(1000)]
    chunks = chunk_lines(lines, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert "\n".join(chunks).splitlines() == lines
    assert chunk_lines([], 100) == [""]


def test_chunk_lines_counts_as_telegram_does() -> None:
    from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length

    # 101 characters for Python, 201 units for Telegram (a specialty named with emoji).
    lines = [f"<b>{i % 10}</b>" + "🔥" * 100 for i in range(40)]
    chunks = chunk_lines(lines)
    assert all(telegram_length(c) <= MESSAGE_LIMIT for c in chunks) and len(chunks) == 2
    assert "\n".join(chunks).splitlines() == lines
    # Tags and entities do not count: 2000 of "&lt;" are 2000 units, not 8000.
    assert chunk_lines(["&lt;" * 2000, "&lt;" * 2000]) == ["&lt;" * 2000 + "\n" + "&lt;" * 2000]
    [alone] = chunk_lines(["<i>" + "😀" * 3000 + "</i>"])  # one line over the limit
    assert telegram_length(alone) <= MESSAGE_LIMIT and alone.endswith("😀…")


# --- Excel and CSV ----------------------------------------------------------------------------


async def test_the_excel_file_opens_back_with_every_sheet_and_the_budget_cut(
    dp: Dispatcher, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 1)
    await add(db, 301, "4.10", at=T0 + timedelta(minutes=3), codes=(ORE, METALLURGY))
    await add(db, 302, "4.80", at=T0 + timedelta(hours=20))  # 21 Nov, 08:00 in Norilsk
    await add(db, 303, "3.50", status="withdrawn", channel="gosuslugi")
    book = await workbook_of(admin)

    assert book.sheetnames[0] == "All applications"
    assert "22.02.08 Metallurgy" in book.sheetnames
    assert len(book.sheetnames) == 1 + 14
    assert all(len(title) <= SHEET_TITLE_MAX for title in book.sheetnames)

    everything = book["All applications"]
    assert everything.freeze_panes == "B2"  # the header and the number stay in view
    assert everything.auto_filter.ref == "A1:T4"  # filters on every column and row
    header, *rows = values(everything)
    assert header[:4] == ["Application", "Status", "Full name", "Date of birth"]
    assert "Priority 1" in header and "Submitted" in header and "Original certificate" in header
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    # The oldest submission first (0003 was put in at T0, before 0001).
    assert list(by_number) == ["М-2027-0003", "М-2027-0001", "М-2027-0002"]
    first = by_number["М-2027-0001"]
    assert (first["Priority 1"], first["Priority 2"], first["Priority 3"]) == (
        ORE,
        METALLURGY,
        None,
    )
    assert first["Full name"] == "Тестова Анна 301"
    assert first["Date of birth"] == datetime(2008, 3, 5)
    assert first["Average score"] == pytest.approx(4.10)
    assert first["Under 18"] == "Yes" and first["Original certificate"] == "No"
    assert first["Files"] == 1
    assert by_number["М-2027-0002"]["Submitted"] == datetime(2026, 11, 21, 8, 0)  # local time
    assert by_number["М-2027-0003"]["Status"] == "withdrawn"
    assert by_number["М-2027-0003"]["Channel"] == "bot + Gosuslugi"

    ranking = book["22.02.08 Metallurgy"]
    assert ranking["A1"].value == "22.02.08 Metallurgical Production (by type of production)"
    assert ranking.freeze_panes == "B3"
    assert ranking.auto_filter.ref == f"A2:G{2 + 2}"
    title, header, *rows = values(ranking)
    assert title[len(RANK_COLUMNS) + 1] == "State-funded places: 1"
    assert header[: len(RANK_COLUMNS)] == [
        "Place", "Application", "Average score", "Original certificate", "Status", "Submitted",
        "Priority",
    ]  # fmt: skip
    assert [(r[0], r[1], r[6]) for r in rows] == [(1, "М-2027-0002", 1), (2, "М-2027-0001", 2)]
    green = ranking.cell(row=3, column=1).fill.start_color.rgb
    assert green == "FFC6EFCE"
    assert ranking.cell(row=4, column=1).fill.fill_type is None
    assert ranking.cell(row=3, column=1).border.bottom.style == "thick"
    assert ranking.cell(row=4, column=1).border.bottom.style is None

    [ore_title] = [t for t in book.sheetnames if t.startswith(f"{ORE} ")]
    ore = book[ore_title]  # budget places not known: no cut, no fill
    title, header, *rows = values(ore)
    assert title[len(RANK_COLUMNS) + 1] == "State-funded places: to be confirmed"
    assert [(r[0], r[1], r[6]) for r in rows] == [(1, "М-2027-0001", 1)]
    assert ore.cell(row=3, column=1).fill.fill_type is None

    [entry] = await StaffRepository(db).audit_log()
    assert (entry.actor_id, entry.action) == (1, "export:xlsx")


async def test_excel_sheets_are_named_by_code_and_short_name_in_whole_words_and_typed(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    """In Russian: «15.02.17 Промышленное» (31 characters at most, never cut mid-word) with
    the full name in the first row; «Да/Нет», not «есть»; numbers and dates as such."""
    await add(db, 301, "4.10", codes=("15.02.17",))
    await set_budget(dp, "15.02.17", 10)
    book = await workbook_of(UserClient(dp, bot, 1, "ru"))
    assert "15.02.17 Промышленное" in book.sheetnames
    for title in book.sheetnames[1:]:
        code, _, name = title.partition(" ")
        assert len(title) <= SHEET_TITLE_MAX
        specialty = next(s for s in CATALOG.specialties if s.code == code)
        short = specialty.short_name.ru
        assert short.startswith(name) and short[len(name) : len(name) + 1] in ("", " ")
        assert book[title]["A1"].value == f"{code} {specialty.name.ru}"
    sheet = book["Все заявления"]
    cells = {str(h.value): c for h, c in zip(sheet[1], sheet[2], strict=True)}
    assert cells["Младше 18"].value == "Да" and cells["Оригинал аттестата"].value == "Нет"
    assert cells["Общежитие"].value == "Нет"
    for column in ("Средний балл", "Классов", "Файлы", "ID в Telegram"):
        assert cells[column].data_type == "n", column
    for column in ("Дата рождения", "Подано", "Изменено"):
        assert cells[column].is_date, column
    for column in ("Заявление", "ФИО", "Телефон", "Статус", "Приоритет 1"):
        assert cells[column].data_type == "s", column
    ranking = book["15.02.17 Промышленное"]
    place, score = ranking["A3"], ranking["C3"]
    assert (place.value, place.data_type) == (1, "n") and score.data_type == "n"


def test_sheet_titles_follow_excels_rules() -> None:
    taken: set[str] = set()
    assert sheet_title("15.01.05 Сварщик [ручной]: a/b*c?d\\e", taken) == (
        "15.01.05 Сварщик  ручной   a b"
    )
    long = "13.02.13 Эксплуатация и обслуживание электрооборудования"
    first = sheet_title(long, taken)
    second = sheet_title(long, taken)
    assert first == "13.02.13 Эксплуатация и" and second == "13.02.13 Эксплуатация и (2)"
    assert sheet_title("15.02.17 Промышленное оборудование", taken) == "15.02.17 Промышленное"
    assert (
        sheet_title("Электрооборудованиеэлектрооборудование", taken)
        == ("Электрооборудованиеэлектрооборуд"[:SHEET_TITLE_MAX])
    )
    assert sheet_title("'quoted'", taken) == "quoted"
    assert sheet_title("History", taken) == "History (2)"
    assert sheet_title("???", taken) == "Sheet"


async def test_the_csv_file_parses_back_for_a_russian_excel(
    db: Database, admin: UserClient
) -> None:
    await add(db, 301, "4.50", name="Иванова; «Анна»")
    await add(db, 302, "3.75", codes=(ORE,), original=True)
    document = await exported(admin, "📄 CSV")
    assert document.filename == f"applications-{YEAR}.csv"
    assert document.data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig")), delimiter=";"))
    assert header[:3] == ["Application", "Status", "Full name"]
    table = [dict(zip(header, r, strict=True)) for r in rows]
    assert [r["Application"] for r in table] == ["М-2027-0001", "М-2027-0002"]
    assert table[0]["Full name"] == "Иванова; «Анна»"
    assert table[0]["Average score"] == "4.50"  # an English reader: a decimal point
    assert table[0]["Submitted"] == "20.11.2026 12:00"  # 05:00 UTC is noon in Norilsk
    assert table[0]["Date of birth"] == "05.03.2008"
    assert (table[1]["Priority 1"], table[1]["Original certificate"]) == (ORE, "Yes")


FORMULA = "=cmd|'/ccalc'!A1@x.ru"  # accepted as an e-mail before the check tightened


@pytest.fixture
async def formulas(db: Database) -> None:
    """An application whose texts a spreadsheet would run as formulas, stored before the
    e-mail check tightened (or by any other path)."""
    await add(db, 301, "4.50")
    await db.execute(
        "UPDATE applications SET email = ?, full_name = ? WHERE user_id = 301",
        (FORMULA, '\t=HYPERLINK("http://x.ru";"Анна")'),
    )


async def test_excel_cells_that_look_like_formulas_are_plain_text(
    admin: UserClient, formulas: None
) -> None:
    book = await workbook_of(admin)
    sheet = book["All applications"]
    cells = {str(h.value): c for h, c in zip(sheet[1], sheet[2], strict=True)}
    for column, text in (
        ("E-mail", FORMULA),
        ("Full name", '\t=HYPERLINK("http://x.ru";"Анна")'),
        ("Phone", "+79131234567"),
    ):
        cell = cells[column]
        assert (cell.data_type, cell.value) == ("s", text), column  # stored as typed, as text
        assert cell.quotePrefix, column  # and stays text when edited in Excel
    assert cells["Average score"].data_type == "n"  # numbers stay numbers
    assert cells["Submitted"].is_date
    assert not cells["Status"].quotePrefix  # only what looks like a formula is marked


async def test_csv_fields_that_look_like_formulas_are_led_by_an_apostrophe(
    admin: UserClient, formulas: None
) -> None:
    document = await exported(admin, "📄 CSV")
    header, row = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig")), delimiter=";"))
    fields = dict(zip(header, row, strict=True))
    assert fields["E-mail"] == "'" + FORMULA
    assert fields["Full name"] == '\'\t=HYPERLINK("http://x.ru";"Анна")'
    assert fields["Phone"] == "'+79131234567"
    assert fields["Application"] == "М-2027-0001" and fields["Average score"] == "4.50"
    assert not any(looks_like_formula(field) for field in row)


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+1", True), ("+7913", True), ("-2", True), ("@SUM(A1)", True), ("\t=1", True),
        ("\r=1", True), ("  =1", True), ("＝1+1", True), ("ivanov@mail.ru", False),
        ("Иванова Анна", False), ("", False), ("4,50", False), ("'=1", False),
    ],
)  # fmt: skip
def test_what_looks_like_a_formula(text: str, formula: bool) -> None:
    assert looks_like_formula(text) is formula


# --- statistics -------------------------------------------------------------------------------


async def test_statistics_count_per_local_day_specialty_status_and_channel(db: Database) -> None:
    await add(db, 301, "4.1", at=datetime(2026, 11, 20, 16, 59, tzinfo=UTC))  # 23:59 local
    await add(db, 302, "4.2", at=datetime(2026, 11, 20, 17, 0, tzinfo=UTC))  # 00:00 next day
    await add(db, 303, "4.3", codes=(ORE, METALLURGY), channel="gosuslugi")
    await add(db, 304, "4.4", status="withdrawn", channel="in_person")
    stats = await ReportRepository(db).statistics(YEAR, TZ)
    assert stats.total == 4
    assert stats.by_day == {date(2026, 11, 20): 3, date(2026, 11, 21): 1}
    assert stats.by_specialty == {METALLURGY: 3, ORE: 1}  # the withdrawn one does not compete
    assert stats.first_priority == {METALLURGY: 2, ORE: 1}
    assert stats.by_status == {"submitted": 3, "withdrawn": 1}
    assert stats.by_channel == {"bot": 2, "gosuslugi": 1, "in_person": 1}
    mine = await ReportRepository(db).statistics(YEAR, TZ, {ORE})
    assert (mine.total, mine.by_specialty, mine.by_channel) == (1, {ORE: 1}, {"gosuslugi": 1})


async def test_statistics_are_sent_as_numbers_and_a_chart(
    dp: Dispatcher, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 25)
    await add(db, 301, "4.1")
    await add(db, 302, "4.2", codes=(ORE, METALLURGY), channel="gosuslugi")
    menu = await open_reports(admin)
    admin.session.clear()
    [text] = await admin.click("📊 Statistics", menu)
    assert "Applications: 2" in text["text"]
    assert "22.02.08 · Metallurgy: 2 / 1 / 25" in text["text"]
    assert "21.02.18 · " in text["text"] and ": 1 / 1 / to be confirmed" in text["text"]
    assert "20 November 2026: 2" in text["text"]
    assert "submitted: 2" in text["text"] and "bot + Gosuslugi: 1" in text["text"]
    [photo] = admin.session.of("sendPhoto")
    assert photo["chat_id"] == 1
    pixels = png_pixels(photo["photo"].data)
    assert pixels.shape == (900, 1200, 4)
    assert count_colour(pixels, "#c00000") > 50  # the budget of 22.02.08 (25) is marked


RUSSIAN_LABELS = ChartLabels(
    "ru", "По специальностям", "По дням", "По статусам", "По каналам", "заявления",
    "первый приоритет", "бюджетные места", "Нет данных", {"submitted": "подано"}, {},
)  # fmt: skip


def test_the_chart_renders_with_and_without_data() -> None:
    from db.reports import Statistics

    empty = render_chart(Statistics(total=0), RUSSIAN_LABELS, [])
    full = render_chart(
        Statistics(
            total=2, by_specialty={METALLURGY: 2}, first_priority={METALLURGY: 1},
            by_day={date(2026, 11, 20): 2}, by_status={"submitted": 2}, by_channel={"bot": 2},
        ),
        RUSSIAN_LABELS,
        [SpecialtyInfo(METALLURGY, "Металлургия", 25), SpecialtyInfo(ORE, "Обогащение", None)],
    )  # fmt: skip
    empty_pixels, full_pixels = png_pixels(empty), png_pixels(full)
    assert empty_pixels.shape == full_pixels.shape == (900, 1200, 4)  # 12×9 in at 100 dpi
    # The budget line of 22.02.08 (red) is drawn only where there are data and a budget.
    assert count_colour(full_pixels, "#c00000") > 50
    assert count_colour(empty_pixels, "#c00000") == 0
    # The per-specialty panel (top left) has the bars of the applications (C0 blue) and of the
    # first priorities (C1 orange), the per-day panel (top right) its bar.
    top_left, top_right = full_pixels[:450, :600], full_pixels[:450, 600:]
    assert count_colour(top_left, "#1f77b4") > 1000 and count_colour(top_left, "#ff7f0e") > 500
    assert count_colour(top_right, "#1f77b4") > 5000
    assert count_colour(empty_pixels[:450], "#1f77b4") == 0


def png_pixels(data: bytes) -> Any:
    """The PNG decoded as an array of RGBA bytes (fails on anything that is not a PNG)."""
    from matplotlib.image import imread

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return (imread(io.BytesIO(data), format="png") * 255).round().astype("uint8")


def count_colour(pixels: Any, colour: str) -> int:
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return int(((pixels[:, :, 0] == rgb[0]) & (pixels[:, :, 1] == rgb[1])
                & (pixels[:, :, 2] == rgb[2])).sum())  # fmt: skip


def drawn_texts(figure: Any) -> list[tuple[Any, Any]]:
    """Every text the chart shows, with the panel it belongs to: titles, the tick labels in
    view, the numbers after the bars, the legend."""
    figure.canvas.draw()
    found = []
    for ax in figure.axes:
        found.append((ax.title, None))
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            found += [
                (tick.label1, None)
                for tick in axis.get_major_ticks()
                if tick.label1.get_visible() and low - 1e-6 <= tick.get_loc() <= high + 1e-6
            ]
        found += [(text, ax) for text in ax.texts]  # the numbers after the bars
        legend = ax.get_legend()
        if legend is not None:
            found += [(text, None) for text in legend.get_texts()]
    return [(text, ax) for text, ax in found if text.get_text()]


def assert_nothing_clipped_or_overlapping(figure: Any) -> None:
    renderer = figure.canvas.get_renderer()
    inside = figure.bbox.padded(-2)  # a glyph's ink may pass its box by a pixel
    for text, ax in drawn_texts(figure):
        box = text.get_window_extent(renderer)
        assert inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1), (
            text.get_text(), box,
        )  # fmt: skip
        if ax is not None:  # a bar's number stays in its panel, off the neighbour's
            assert ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1), (
                text.get_text(), box, ax.bbox,
            )  # fmt: skip
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            boxes = [
                tick.label1.get_window_extent(renderer)
                for tick in axis.get_major_ticks()
                if tick.label1.get_text() and low - 1e-6 <= tick.get_loc() <= high + 1e-6
            ]
            for one, other in itertools.pairwise(boxes):
                assert not one.overlaps(other), (one, other)


ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)", re.IGNORECASE)


async def test_the_chart_in_the_staff_members_language_has_nothing_clipped_at_its_size(
    dp: Dispatcher, db: Database, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered as the bot renders it for a Russian-speaking member, at its real size (the
    PNG sent is 1200 × 900): month names and labels in Russian, no English word, every text
    inside the picture, the bars' numbers inside their panels, no two dates overlapping."""
    import handlers.staff.reports as screens
    from bot.services.reports import chart_figure

    await set_budget(dp, METALLURGY, 25)
    for n in range(60):  # two months of applications, a long label of every status
        status = STATUSES[n % len(STATUSES)]
        await add(db, 500 + n, f"{3 + n % 20 / 10:.2f}", at=T0 + timedelta(days=n - 100),
                  status=status, codes=(METALLURGY, ORE) if n % 3 else (ORE,),
                  channel=("bot", "gosuslugi", "in_person")[n % 3])  # fmt: skip
    drawn: list[tuple[Any, ...]] = []
    real = screens.render_chart

    def spy(*args: Any) -> bytes:
        drawn.append(args)
        return real(*args)

    monkeypatch.setattr(screens, "render_chart", spy)
    member = UserClient(dp, bot, 1, "ru")
    menu = await open_reports(member)
    member.session.clear()
    await member.click("📊 Статистика", menu)
    [photo] = member.session.of("sendPhoto")
    from PIL import Image

    assert Image.open(io.BytesIO(photo["photo"].data)).size == (1200, 900)
    [(stats, chart_labels, specialties)] = drawn
    assert chart_labels.locale == "ru"
    figure = chart_figure(stats, chart_labels, specialties)
    assert_nothing_clipped_or_overlapping(figure)
    texts = [text.get_text() for text, _ax in drawn_texts(figure)]
    assert "документы приняты" in texts and "Заявления по дням" in texts
    assert any(re.fullmatch(r"\d{1,2} (авг|сент|июл)\.", t) for t in texts), texts
    latin = [t for t in texts if re.search(r"[A-Za-z]", t)]
    assert latin == [], latin

    english = chart_figure(stats, screens_labels_in(dp, "en"), specialties)
    assert_nothing_clipped_or_overlapping(english)
    english_texts = [text.get_text() for text, _ax in drawn_texts(english)]
    assert any(ENGLISH_MONTHS.search(t) for t in english_texts)
    assert "documents accepted" in english_texts


def screens_labels_in(dp: Dispatcher, locale: str) -> ChartLabels:
    import handlers.staff.reports as screens

    i18n = dp["i18n"]
    with i18n.context(), i18n.use_locale(locale):
        return screens.chart_labels()


@pytest.mark.parametrize("days", [1, 5, 13, 40, 120])
def test_the_days_never_crowd_whatever_the_span(days: int) -> None:
    from bot.services.reports import chart_figure
    from db.reports import Statistics

    stats = Statistics(
        total=days * 3, by_specialty={METALLURGY: 999}, first_priority={METALLURGY: 1},
        by_day={date(2027, 6, 20) + timedelta(days=n): 3 for n in range(days)},
        by_status={"needs_correction": 12345}, by_channel={"gosuslugi": 7},
    )  # fmt: skip
    figure = chart_figure(stats, RUSSIAN_LABELS, [SpecialtyInfo(METALLURGY, "Металлургия", 25)])
    assert_nothing_clipped_or_overlapping(figure)


# --- access -----------------------------------------------------------------------------------


async def test_the_reports_command_as_a_non_staff_user_is_refused(dp: Dispatcher, bot: Bot) -> None:
    [reply] = await UserClient(dp, bot, 1002, "en").send("/reports")
    assert reply["text"] == "No access."


REPORT_BUTTONS = ("sr:menu:", "sr:lists:", "sr:rank:22.02.08", "sr:xlsx:", "sr:csv:", "sr:stats:")


@pytest.mark.parametrize("data", REPORT_BUTTONS)
async def test_every_report_button_as_a_non_staff_user_is_refused(
    dp: Dispatcher, bot: Bot, db: Database, data: str
) -> None:
    await add(db, 301, "4.1")
    stranger = UserClient(dp, bot, 1002, "en")
    replies = await stranger.click_data(data, {"message_id": 1, "text": "forwarded"})
    assert replies == []
    answer = stranger.answers()[-1]
    assert answer["text"] == "No access." and answer["show_alert"] is True
    assert not stranger.session.of("sendDocument") and not stranger.session.of("sendPhoto")
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_staff_of_one_college_see_only_its_specialties_and_applications(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await grant(db, 2, "ntpts")  # teaches 22.02.08 only
    await add(db, 301, "4.1")
    await add(db, 302, "4.9", codes=(ORE,))  # another college's applicant
    await add(db, 303, "3.9", codes=(ORE, METALLURGY))  # chose both: visible with both choices
    college = UserClient(dp, bot, 2, "en")

    menu = await open_reports(college)
    assert "Your college:" in menu["text"]
    [lists] = await college.click("🏆 Ranking lists", menu)
    assert labels(lists) == ["22.02.08 · Metallurgy", "⬅️ Reports"]
    college.session.clear()
    await college.click_data(f"sr:rank:{ORE}", lists)
    assert college.answers()[-1]["text"] == "No access."

    book = await workbook_of(college)
    assert book.sheetnames == ["All applications", "22.02.08 Metallurgy"]
    numbers = [r[0] for r in values(book["All applications"])[1:]]
    assert numbers == ["М-2027-0001", "М-2027-0003"]

    document = await exported(college, "📄 CSV")
    assert document.filename == f"applications-{YEAR}-ntpts.csv"
    assert "М-2027-0002" not in document.data.decode("utf-8-sig")

    menu = await open_reports(college)
    [text] = await college.click("📊 Statistics", menu)
    assert "Applications: 2" in text["text"]
    assert "21.02.18" not in text["text"]


async def test_staff_of_a_college_without_specialties_see_nothing(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await grant(db, 3, "taimyr")
    await add(db, 301, "4.1")
    college = UserClient(dp, bot, 3, "en")
    document = await exported(college, "📄 CSV")
    assert len(document.data.decode("utf-8-sig").splitlines()) == 1  # the header only
    menu = await open_reports(college)
    [lists] = await college.click("🏆 Ranking lists", menu)
    assert labels(lists) == ["⬅️ Reports"]
