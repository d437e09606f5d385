"""Validation of work placement schedules uploaded as CSV or XLSX: rows, problems, line numbers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import openpyxl
import pytest

from bot.domain.practicum_import import (
    HEADERS,
    MAX_LINES,
    MAX_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    PLACE_MAX,
    SUPERVISOR_MAX,
    PracticumRow,
    RowProblem,
    parse_practicum_file,
)

KNOWN = {"known_colleges": {"ntpts", "taimyr"}, "known_specialties": {"22.02.08", "15.02.16"}}

GOOD = (
    "ntpts",
    "МП-25-1",
    "22.02.08",
    "01.07.2026",
    "31.07.2026",
    "НМЗ",
    "Иванов И.И.",
    "10.08.2026",
)
GOOD_2 = (
    "taimyr",
    "ЭС-24-2",
    "15.02.16",
    "2026-06-01",
    "2026-06-28",
    "ТЭЦ-2",
    "Петров",
    "2026-07-05",
)

EXPECTED_1 = PracticumRow(
    line=2,
    college_id="ntpts",
    group="МП-25-1",
    specialty_code="22.02.08",
    start=date(2026, 7, 1),
    end=date(2026, 7, 31),
    place="НМЗ",
    supervisor="Иванов И.И.",
    report_deadline=date(2026, 8, 10),
)


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADERS,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_zip(content: bytes, change: dict[str, bytes | None]) -> bytes:
    """Copy of a zip with members replaced (bytes) or dropped (None)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = change.get(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def with_value(field: str, value: str, row: Sequence[str] = GOOD) -> tuple[str, ...]:
    cells = list(row)
    cells[HEADERS.index(field)] = value
    return tuple(cells)


def problems_of(filename: str, content: bytes, **kwargs: int) -> list[RowProblem]:
    return parse_practicum_file(filename, content, **KNOWN, **kwargs)[1]


def as_tuples(problems: Sequence[RowProblem]) -> list[tuple[int, str | None]]:
    return [(problem.line, problem.column) for problem in problems]


# --- CSV -------------------------------------------------------------------------


def test_comma_separated_csv_yields_normalised_rows() -> None:
    content = csv_bytes([with_value("group", "  мп-25-1 "), GOOD_2])

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert problems == []
    assert rows[0] == EXPECTED_1
    assert rows[1].line == 3
    assert rows[1].college_id == "taimyr"
    assert rows[1].start == date(2026, 6, 1)
    assert rows[1].report_deadline == date(2026, 7, 5)


def test_semicolon_csv_saved_by_russian_excel_in_cp1251_is_read() -> None:
    content = csv_bytes([GOOD], delimiter=";", encoding="cp1251")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    rows, problems = parse_practicum_file("Практика.CSV", content, **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


def test_csv_with_utf8_bom_is_read_and_bom_is_not_part_of_first_header() -> None:
    content = b"\xef\xbb\xbf" + csv_bytes([GOOD], delimiter=";")

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


def test_tab_separated_csv_is_read() -> None:
    rows, problems = parse_practicum_file(
        "practicum.csv", csv_bytes([GOOD], delimiter="\t"), **KNOWN
    )

    assert problems == []
    assert rows == [EXPECTED_1]


def test_utf16_unicode_text_from_excel_is_read() -> None:
    content = csv_bytes([GOOD], delimiter="\t", encoding="utf-16")

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


def test_excel_sep_hint_line_sets_delimiter_and_keeps_line_numbers() -> None:
    content = b"sep=;\r\n" + csv_bytes([GOOD, with_value("start", "soon")], delimiter=";")

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert rows[0].line == 3
    assert as_tuples(problems) == [(4, "start")]


def test_quoted_values_with_delimiters_and_newlines_keep_line_numbers() -> None:
    content = (
        ",".join(HEADERS) + "\n"
        '"ntpts","МП-25-1","22.02.08","01.07.2026","31.07.2026",'
        '"Завод, цех 1\nучасток 2","Иванов ""старший""","10.08.2026"\n'
        + ",".join(with_value("end", "30.05.2026", GOOD_2))
        + "\n"
    ).encode()

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert rows[0].place == "Завод, цех 1 участок 2"
    assert rows[0].supervisor == 'Иванов "старший"'
    assert [str(problem) for problem in problems] == [
        "line 4, end: end 30.05.2026 is before start 01.06.2026"
    ]


def test_empty_lines_are_skipped_and_do_not_shift_line_numbers() -> None:
    content = (
        ",".join(HEADERS)
        + "\n\n"
        + ",".join(GOOD)
        + "\n,,,\n,,,,,,,,\n \n"
        + ",".join(GOOD_2)
        + "\n\n"
    ).encode()

    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert problems == []
    assert [row.line for row in rows] == [3, 7]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n  \r\n", "the file is empty"),
        (csv_bytes([]), "the file has no data rows, only the header"),
        (b"\x00\x01\x02PK\x03\x04", "the file is not CSV text (it contains NUL bytes)"),
        (b"\x98\x98\xff", "the file is neither UTF-8 nor Windows-1251 text"),
    ],
)
def test_unreadable_or_empty_csv_gives_one_file_problem(content: bytes, message: str) -> None:
    rows, problems = parse_practicum_file("practicum.csv", content, **KNOWN)

    assert problems == [RowProblem(0, None, message)]
    assert rows == []


def test_csv_field_over_the_csv_module_limit_is_a_problem_not_an_exception() -> None:
    content = csv_bytes([GOOD]) + b'ntpts,"' + b"x" * 200_000 + b"\n"

    problems = problems_of("practicum.csv", content)

    assert len(problems) == 1
    assert problems[0].line == 3
    assert problems[0].message.startswith("malformed CSV")


# --- XLSX ------------------------------------------------------------------------


def test_xlsx_with_date_cells_and_string_dates() -> None:
    content = xlsx_bytes(
        [
            [
                "ntpts",
                "мп-25-1",
                "22.02.08",
                date(2026, 7, 1),
                datetime(2026, 7, 31),
                "НМЗ",
                "Иванов И.И.",
                "10.08.2026",
            ],
            [
                "taimyr",
                "ЭС-24-2",
                "15.02.16",
                "01/06/2026",
                "2026-06-28",
                "ТЭЦ-2",
                "Петров",
                datetime(2026, 7, 5, 0, 0),
            ],
        ]
    )

    rows, problems = parse_practicum_file("practicum.xlsx", content, **KNOWN)

    assert problems == []
    assert rows[0] == EXPECTED_1
    assert rows[1].start == date(2026, 6, 1)
    assert rows[1].end == date(2026, 6, 28)
    assert rows[1].report_deadline == date(2026, 7, 5)


def test_xlsx_specialty_code_turned_into_a_date_by_excel_is_restored() -> None:
    row = list(GOOD)
    row[HEADERS.index("specialty")] = date(2008, 2, 22)  # Excel reads "22.02.08" as a date
    rows, problems = parse_practicum_file("practicum.xlsx", xlsx_bytes([row]), **KNOWN)

    assert problems == []
    assert rows[0].specialty_code == "22.02.08"


def test_xlsx_numeric_group_is_read_as_text_and_number_is_not_a_date() -> None:
    row: list[object] = list(GOOD)
    row[HEADERS.index("group")] = 101
    row[HEADERS.index("start")] = 46204  # a bare Excel serial number is not accepted
    rows, problems = parse_practicum_file("practicum.xlsx", xlsx_bytes([row]), **KNOWN)

    assert rows == []
    assert [str(problem) for problem in problems] == [
        "line 2, start: '46204' is not a date DD.MM.YYYY"
    ]


def test_xlsx_empty_rows_in_between_and_trailing_are_ignored() -> None:
    content = xlsx_bytes([GOOD, [None] * 8, ["", " ", None], GOOD_2, [], [None, None], [""]])

    rows, problems = parse_practicum_file("practicum.xlsx", content, **KNOWN)

    assert problems == []
    assert [row.line for row in rows] == [2, 5]


def test_xlsx_first_worksheet_is_used() -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(list(HEADERS))
    first.append(list(GOOD))
    second = workbook.create_sheet("other")
    second.append(["nothing", "here"])
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows, problems = parse_practicum_file("practicum.xlsx", buffer.getvalue(), **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


def with_far_row(content: bytes, row: int, text: str = " ") -> bytes:
    """The workbook with one more cell far below: every row in between is empty."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    far_row = f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{text}</t></is></c></row>'
    sheet = sheet.replace(b"</sheetData>", far_row.encode() + b"</sheetData>")
    return rewrite_zip(content, {"xl/worksheets/sheet1.xml": sheet})


def test_xlsx_lying_dimension_does_not_hang() -> None:
    content = xlsx_bytes([GOOD])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:H2" />' in sheet
    sheet = sheet.replace(b'<dimension ref="A1:H2" />', b'<dimension ref="A1:XFD1048576" />')

    rows, problems = parse_practicum_file(
        "practicum.xlsx", rewrite_zip(content, {"xl/worksheets/sheet1.xml": sheet}), **KNOWN
    )

    assert problems == []
    assert rows == [EXPECTED_1]


TOO_LONG = RowProblem(
    0,
    None,
    f"the file goes on past line {MAX_LINES} (empty lines count too); at most {MAX_ROWS} rows "
    "are imported at once: delete the empty rows below the data, or split the file",
)


@pytest.mark.parametrize("row", [400_000, 1_048_576, 99_999_999])
def test_xlsx_with_a_cell_far_below_the_data_is_refused_without_reading_down_to_it(
    row: int,
) -> None:
    """A stray cell (even a blank one) at row 400,000: the rows in between are empty, and
    reading them one by one is what held the bot; reading stops at MAX_LINES."""
    content = with_far_row(xlsx_bytes([GOOD]), row)

    assert parse_practicum_file("practicum.xlsx", content, **KNOWN) == ([], [TOO_LONG])


def test_a_csv_with_too_many_lines_is_refused_even_if_they_are_empty() -> None:
    content = csv_bytes([GOOD]) + b"\r\n" * MAX_LINES

    assert parse_practicum_file("practicum.csv", content, **KNOWN) == ([], [TOO_LONG])


def test_empty_lines_up_to_the_bound_are_fine() -> None:
    content = with_far_row(xlsx_bytes([GOOD]), MAX_LINES)
    assert parse_practicum_file("practicum.xlsx", content, **KNOWN) == ([EXPECTED_1], [])
    content = csv_bytes([GOOD]) + b"\r\n" * (MAX_LINES - 3)
    assert parse_practicum_file("practicum.csv", content, **KNOWN) == ([EXPECTED_1], [])


def test_openpyxl_warnings_on_odd_workbooks_do_not_escape() -> None:
    # A stylesheet without styles (as some exporters write) makes openpyxl warn
    # "Workbook contains no default style".
    empty_styles = (
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )
    content = rewrite_zip(xlsx_bytes([GOOD]), {"xl/styles.xml": empty_styles})
    with pytest.warns(UserWarning):
        openpyxl.load_workbook(io.BytesIO(content), read_only=True).close()

    rows, problems = parse_practicum_file("practicum.xlsx", content, **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not a workbook", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(xlsx_bytes([GOOD])[:300], id="truncated"),
        pytest.param(csv_bytes([GOOD]), id="csv-renamed"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, id="old-xls"),
    ],
)
def test_garbage_named_xlsx_gives_one_problem_and_no_exception(content: bytes) -> None:
    rows, problems = parse_practicum_file("practicum.xlsx", content, **KNOWN)

    assert rows == []
    assert problems == [RowProblem(0, None, "the file is not a valid XLSX workbook")]


def test_zip_that_is_not_a_workbook_is_a_problem() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")

    problems = problems_of("practicum.xlsx", buffer.getvalue())

    assert problems == [RowProblem(0, None, "the file is not a valid XLSX workbook")]


def test_xlsx_zip_bomb_is_refused_before_unpacking() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\x00" * (MAX_XLSX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < 100_000

    problems = problems_of("practicum.xlsx", buffer.getvalue())

    assert problems == [RowProblem(0, None, "the XLSX file is too large when unpacked")]


def test_xlsx_header_only_and_empty_sheet() -> None:
    assert problems_of("a.xlsx", xlsx_bytes([])) == [
        RowProblem(0, None, "the file has no data rows, only the header")
    ]
    assert problems_of("a.xlsx", xlsx_bytes([], header=[])) == [
        RowProblem(0, None, "the file is empty")
    ]


# --- headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        (
            "Колледж",
            "ГРУППА",
            " специальность ",
            "Начало",
            "Окончание",
            "Место",
            "Руководитель",
            "Отчёт",
        ),
        (
            "колледж",
            "группа",
            "специальность",
            "начало",
            "конец",
            "место",
            "руководитель",
            "отчет",
        ),
        (
            "колледж",
            "группа",
            "специальность",
            "начало",
            "конец",
            "место",
            "руководитель",
            "Срок  отчёта",
        ),
        (
            "колледж",
            "группа",
            "специальность",
            "начало",
            "конец",
            "место",
            "руководитель",
            "срок отчета",
        ),
        (
            "College",
            "GROUP",
            "Specialty",
            "Start",
            "End",
            "Place",
            "Supervisor",
            "Report_Deadline",
        ),
    ],
)
def test_russian_and_english_headers_in_any_case(header: tuple[str, ...]) -> None:
    for filename, content in [
        ("a.csv", csv_bytes([GOOD], header=header, delimiter=";")),
        ("a.xlsx", xlsx_bytes([GOOD], header=header)),
    ]:
        rows, problems = parse_practicum_file(filename, content, **KNOWN)
        assert problems == []
        assert rows == [EXPECTED_1]


def test_columns_in_any_order_and_unknown_columns_are_ignored() -> None:
    header = ("№", *reversed(HEADERS), "комментарий", "")
    row = ("1", *reversed(GOOD), "что угодно", "x")

    rows, problems = parse_practicum_file("a.csv", csv_bytes([row], header=header), **KNOWN)

    assert problems == []
    assert rows == [EXPECTED_1]


def test_missing_required_columns_are_line_1_problems_naming_them() -> None:
    header = ("college", "group", "start", "end", "place", "report_deadline")
    row = ("ntpts", "МП-25-1", "01.07.2026", "31.07.2026", "НМЗ", "10.08.2026")

    rows, problems = parse_practicum_file("a.csv", csv_bytes([row], header=header), **KNOWN)

    assert rows == []
    assert [str(problem) for problem in problems] == [
        "line 1, specialty: missing required column 'specialty'",
        "line 1, supervisor: missing required column 'supervisor'",
    ]


def test_the_same_column_twice_is_a_header_problem() -> None:
    header = (*HEADERS, "Группа")
    problems = problems_of("a.csv", csv_bytes([(*GOOD, "МП-25-2")], header=header))

    assert problems == [RowProblem(1, "group", "column 'group' appears twice (columns 2 and 9)")]


def test_data_without_header_row_reports_missing_columns() -> None:
    content = "\n".join([",".join(GOOD), ",".join(GOOD_2)]).encode()

    problems = problems_of("a.csv", content)

    assert {problem.line for problem in problems} == {1}
    assert {problem.column for problem in problems} == set(HEADERS)


# --- values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "column", "message"),
    [
        ("college", "", "college", "value is required"),
        ("college", "nttps", "college", "unknown college 'nttps'"),
        ("group", "   ", "group", "value is required"),
        (
            "group",
            "МП-25-1-ОЧЕНЬ-ДЛИННАЯ",
            "group",
            "'МП-25-1-ОЧЕНЬ-ДЛИННАЯ' is longer than 20 characters",
        ),
        (
            "group",
            "МП/25",
            "group",
            "'МП/25' may contain only letters, digits, '-', '_' and spaces",
        ),
        ("specialty", "22.2.08", "specialty", "'22.2.08' is not a specialty code NN.NN.NN"),
        ("specialty", "металлургия", "specialty", "'металлургия' is not a specialty code NN.NN.NN"),
        ("specialty", "99.99.99", "specialty", "unknown specialty '99.99.99'"),
        ("start", "31.02.2027", "start", "'31.02.2027' is not a date DD.MM.YYYY"),
        ("start", "1 июля", "start", "'1 июля' is not a date DD.MM.YYYY"),
        ("start", "01.07.26", "start", "'01.07.26' is not a date DD.MM.YYYY"),
        ("start", "01.07/2026", "start", "'01.07/2026' is not a date DD.MM.YYYY"),
        ("start", "", "start", "value is required"),
        ("end", "2026-13-01", "end", "'2026-13-01' is not a date DD.MM.YYYY"),
        ("end", "30.06.2026", "end", "end 30.06.2026 is before start 01.07.2026"),
        (
            "report_deadline",
            "30.07.2026",
            "report_deadline",
            "report deadline 30.07.2026 is before end 31.07.2026",
        ),
        (
            "report_deadline",
            "10.08.1026",
            "report_deadline",
            "10.08.1026: the year must be between 2000 and 2100",
        ),
        ("place", "", "place", "value is required"),
        ("place", "ц" * (PLACE_MAX + 1), "place", f"longer than {PLACE_MAX} characters (201)"),
        ("place", "цех\x07", "place", "'цех\x07' contains control characters"),
        ("supervisor", "", "supervisor", "value is required"),
        (
            "supervisor",
            "и" * (SUPERVISOR_MAX + 1),
            "supervisor",
            f"longer than {SUPERVISOR_MAX} characters (121)",
        ),
    ],
)
def test_bad_value_is_reported_with_line_and_column(
    field: str, value: str, column: str, message: str
) -> None:
    content = csv_bytes([GOOD_2, with_value(field, value)], delimiter=";")

    rows, problems = parse_practicum_file("a.csv", content, **KNOWN)

    assert problems == [RowProblem(3, column, message)]
    assert [row.line for row in rows] == [2]  # the good row; the caller imports nothing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.7.2026", date(2026, 7, 1)),
        ("01-07-2026", date(2026, 7, 1)),
        ("01/07/2026", date(2026, 7, 1)),
        ("2026-07-01", date(2026, 7, 1)),
        (" 2026-07-01 00:00:00 ", date(2026, 7, 1)),
        ("1.07.2026", date(2026, 7, 1)),
    ],
)
def test_accepted_date_spellings(value: str, expected: date) -> None:
    rows, problems = parse_practicum_file(
        "a.csv", csv_bytes([with_value("start", value)], delimiter=";"), **KNOWN
    )

    assert problems == []
    assert rows[0].start == expected


def test_values_are_normalised() -> None:
    row = (
        "  NTPTS ",
        " мп  25_1 ",
        " 22.02.08 ",
        "01.07.2026",
        "31.07.2026",
        " Надеждинский\u00a0 металлургический  завод ",
        " Иванов И.И.,\t+7 913 000-00-00 ",
        "31.07.2026",
    )

    rows, problems = parse_practicum_file("a.csv", csv_bytes([row], delimiter=";"), **KNOWN)

    assert problems == []
    assert rows[0].college_id == "ntpts"
    assert rows[0].group == "МП 25_1"
    assert rows[0].place == "Надеждинский металлургический завод"
    assert rows[0].supervisor == "Иванов И.И., +7 913 000-00-00"
    assert rows[0].report_deadline == rows[0].end


def test_every_problem_of_a_row_is_reported_not_just_the_first() -> None:
    bad = ("nowhere", "МП/25", "22.2.08", "31.02.2027", "01.07.2026", "", "", "30.06.2026")

    problems = problems_of("a.csv", csv_bytes([bad]))

    assert as_tuples(problems) == [
        (2, "college"),
        (2, "group"),
        (2, "specialty"),
        (2, "start"),
        (2, "place"),
        (2, "supervisor"),
        (2, "report_deadline"),  # before end, even though start could not be read
    ]


def test_mixed_good_and_bad_rows_report_problems_on_the_right_lines() -> None:
    content = csv_bytes(
        [
            GOOD,  # line 2
            with_value("college", "nope"),  # line 3
            GOOD_2,  # line 4
            ("",) * 8,  # line 5: empty, skipped
            with_value("end", "31.06.2026", with_value("group", "МП-25-2")),  # line 6
            with_value("group", "МП-25-3"),  # line 7
        ],
        delimiter=";",
    )

    rows, problems = parse_practicum_file("a.csv", content, **KNOWN)

    assert [str(problem) for problem in problems] == [
        "line 3, college: unknown college 'nope'",
        "line 6, end: '31.06.2026' is not a date DD.MM.YYYY",
    ]
    assert [row.line for row in rows] == [2, 4, 7]  # valid ones; the caller imports none


def test_mixed_rows_in_xlsx_report_sheet_row_numbers() -> None:
    content = xlsx_bytes([GOOD, [], with_value("start", "31.02.2027", GOOD_2), GOOD_2])

    problems = problems_of("a.xlsx", content)

    assert [str(problem) for problem in problems] == [
        "line 4, start: '31.02.2027' is not a date DD.MM.YYYY"
    ]


def test_repeated_college_group_start_is_reported_on_the_later_line() -> None:
    same_key = with_value("place", "Другое место", with_value("group", " мп-25-1"))
    content = csv_bytes([GOOD, GOOD_2, with_value("college", "NTPTS", same_key), GOOD_2])

    problems = problems_of("a.csv", content)

    assert problems == [
        RowProblem(4, None, "repeats line 2"),
        RowProblem(5, None, "repeats line 3"),
    ]
    assert str(problems[0]) == "line 4: repeats line 2"


def test_same_group_with_another_start_is_not_a_repeat() -> None:
    second = with_value("start", "01.09.2026", with_value("end", "30.09.2026"))
    content = csv_bytes([GOOD, with_value("report_deadline", "10.10.2026", second)])

    rows, problems = parse_practicum_file("a.csv", content, **KNOWN)

    assert problems == []
    assert len(rows) == 2


# --- limits and file types -------------------------------------------------------


def test_too_many_rows_stops_with_a_problem_on_the_first_extra_row() -> None:
    rows = [with_value("group", f"МП-{n}") for n in range(5)]

    assert problems_of("a.csv", csv_bytes(rows[:3]), max_rows=3) == []
    assert problems_of("a.csv", csv_bytes(rows), max_rows=3) == [
        RowProblem(5, None, "too many rows (max 3)")
    ]
    assert problems_of("a.xlsx", xlsx_bytes(rows), max_rows=3) == [
        RowProblem(5, None, "too many rows (max 3)")
    ]


def test_default_limit_is_2000_rows() -> None:
    rows = [with_value("group", f"МП-{n}") for n in range(2001)]

    problems = problems_of("a.csv", csv_bytes(rows))

    assert problems == [RowProblem(2002, None, "too many rows (max 2000)")]


def test_huge_xlsx_stops_reading_after_the_limit() -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(HEADERS))
    for n in range(20_000):
        sheet.append(list(with_value("group", f"Г-{n}")))
    buffer = io.BytesIO()
    workbook.save(buffer)

    problems = problems_of("a.xlsx", buffer.getvalue(), max_rows=10)

    assert problems == [RowProblem(12, None, "too many rows (max 10)")]


@pytest.mark.parametrize("filename", ["a.xls", "a.txt", "a.ods", "practicum", "csv", "a.csv.exe"])
def test_unknown_extension_is_unsupported(filename: str) -> None:
    rows, problems = parse_practicum_file(filename, csv_bytes([GOOD]), **KNOWN)

    assert rows == []
    assert problems == [RowProblem(0, None, "unsupported file type: use CSV or XLSX")]
    assert str(problems[0]) == "unsupported file type: use CSV or XLSX"


def test_problem_text_names_line_and_column() -> None:
    assert (
        str(RowProblem(4, "start", "'31.02.2027' is not a date DD.MM.YYYY"))
        == "line 4, start: '31.02.2027' is not a date DD.MM.YYYY"
    )
    assert str(RowProblem(7, None, "repeats line 3")) == "line 7: repeats line 3"
