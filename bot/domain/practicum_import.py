"""Validation of a work placement schedule (практика) uploaded by staff as a CSV or XLSX file.

:func:`parse_practicum_file` never raises on a bad file: it returns the parsed rows and a
list of :class:`RowProblem`, each naming the line of the file (the header is line 1) and the
column, e.g. ``line 4, start: '31.02.2027' is not a date DD.MM.YYYY``. Every problem of a
row is reported, not just the first. The rows are only meaningful when there are no
problems: the caller imports all of them or nothing.

A file with the columns college, group and specialty and none of the dates is a plain list of
groups (:func:`parse_upload` tells them apart): the groups a college has, before or without
their periods. Optional columns of a schedule say what a student needs on the first day:
``address`` (where to go), ``time`` (HH:MM), ``contact`` (whom to ask for), ``bring``.

Line 0 is used for problems of the file as a whole (unsupported type, unreadable, empty).
Line numbers are physical lines of the CSV text (a quoted value spanning lines counts from
its first line) or row numbers of the worksheet.

Pure module: no aiogram, no database.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from bot.domain.groups import GROUP_MAX, clean_group
from bot.domain.spreadsheet import (
    MAX_XLSX_UNPACKED_BYTES,
    Unreadable,
    __,
    open_xlsx,
    sheet_rows,
)
from bot.domain.spreadsheet import BadValue as _BadValue
from bot.domain.spreadsheet import cell_text as _text
from bot.domain.spreadsheet import fmt_date as _fmt
from bot.domain.spreadsheet import parse_date as _parse_any_date
from bot.domain.spreadsheet import quote as _quote
from bot.domain.spreadsheet import squeeze as _squeeze

__all__ = [
    "COLUMN_NAMES",
    "GROUP_HEADERS",
    "GROUP_MAX",
    "HEADERS",
    "MAX_CSV_BYTES",
    "MAX_LINES",
    "MAX_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "OPTIONAL_HEADERS",
    "PLACE_MAX",
    "SUPERVISOR_MAX",
    "GroupRow",
    "Parsed",
    "PracticumRow",
    "RowProblem",
    "parse_practicum_file",
    "parse_upload",
]

HEADERS = (
    "college",
    "group",
    "specialty",
    "start",
    "end",
    "place",
    "supervisor",
    "report_deadline",
)

# What a student needs on the first day: optional, «уточняется» when empty.
OPTIONAL_HEADERS = ("address", "time", "contact", "bring")
# A plain list of groups: these columns and none of the schedule's others.
GROUP_HEADERS = ("college", "group", "specialty")

MAX_ROWS = 2000
# Lines read at most, empty ones included: a sheet with a stray formatted cell far below the
# data (400,000 empty rows in a 2 MB file) would otherwise be walked row by row.
MAX_LINES = 10_000
PLACE_MAX = 200
SUPERVISOR_MAX = 120
YEAR_MIN = 2000
YEAR_MAX = 2100

# Guards against huge files (an XLSX file's own: bot.domain.spreadsheet). A real schedule of
# 2000 rows is well under 1 MB.
MAX_CSV_BYTES = 5 * 1024 * 1024


def _header_key(text: str) -> str:
    """Case-, space-, underscore- and ё-insensitive form of a header cell."""
    text = text.replace("\ufeff", "").replace("_", " ")
    return " ".join(text.split()).casefold().replace("ё", "е")


# The names a column may have in the file: the field's own (English), then Russian ones.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "college": ("college", "колледж"),
    "group": ("group", "группа"),
    "specialty": ("specialty", "специальность"),
    "start": ("start", "начало"),
    "end": ("end", "окончание", "конец"),
    "place": ("place", "место"),
    "supervisor": ("supervisor", "руководитель"),
    "report_deadline": ("report_deadline", "отчёт", "срок отчёта"),
    "address": ("address", "адрес", "куда прийти"),
    "time": ("time", "время", "время сбора", "во сколько"),
    "contact": ("contact", "контакт", "к кому обратиться", "кого спросить"),
    "bring": ("bring", "что взять", "что взять с собой"),
}
_HEADER_ALIASES: dict[str, str] = {
    _header_key(alias): field for field, aliases in COLUMN_NAMES.items() for alias in aliases
}


@dataclass(frozen=True, slots=True)
class PracticumRow:
    line: int  # 1-based line in the file (the header is line 1)
    college_id: str  # one of ``known_colleges``
    group: str  # stripped, inner spaces collapsed, upper-cased, e.g. "МП-25-1"
    specialty_code: str  # "22.02.08", one of ``known_specialties``
    start: date
    end: date  # >= start
    place: str
    supervisor: str
    report_deadline: date  # >= end
    address: str = ""
    meet_time: str = ""  # "HH:MM" or ""
    contact: str = ""
    bring: str = ""


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A row of a plain list of groups."""

    line: int
    college_id: str
    group: str
    specialty_code: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """An upload read: a schedule (``periods``) or a list of groups (``groups``); both only
    meaningful when ``problems`` is empty."""

    periods: list[PracticumRow]
    groups: list[GroupRow]
    problems: list[RowProblem]


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int  # 0 = the file as a whole
    column: str | None  # a name from HEADERS, or None for whole-row problems
    message: str  # in English; the staff read it translated (``template`` and ``params``)
    template: str = dataclasses.field(default="", compare=False)
    params: tuple[tuple[str, object], ...] = dataclasses.field(default=(), compare=False)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line > 0 else ""
        if self.column:
            where = f"{where}, {self.column}" if where else self.column
        return f"{where}: {self.message}" if where else self.message


class _Unreadable(Exception):
    """The file cannot be read at all; carries the one problem to report."""

    def __init__(
        self, template: str, params: Mapping[str, object] | None = None, line: int = 0
    ) -> None:
        super().__init__(template)
        self.problem = _problem(line, None, template, **(params or {}))


def _problem(line: int, column: str | None, template: str, **params: object) -> RowProblem:
    message = template.format(**params) if params else template
    return RowProblem(line, column, message, template, tuple(params.items()))


Record = tuple[int, tuple[object, ...]]  # (line, cells) of a non-blank line


def parse_practicum_file(
    filename: str,
    content: bytes,
    *,
    known_colleges: AbstractSet[str],
    known_specialties: AbstractSet[str],
    max_rows: int = MAX_ROWS,
    max_lines: int = MAX_LINES,
) -> tuple[list[PracticumRow], list[RowProblem]]:
    """Parse and validate an uploaded work placement schedule.

    Returns ``(rows, problems)``; the rows are only meaningful when ``problems`` is empty.
    Never raises on malformed input. A file that goes on past ``max_lines`` lines (empty
    ones count) is refused whole, read no further. CPU-bound, up to a second for the largest
    file: call it through ``asyncio.to_thread``.
    """
    parsed = parse_upload(
        filename,
        content,
        known_colleges=known_colleges,
        known_specialties=known_specialties,
        max_rows=max_rows,
        max_lines=max_lines,
        groups_allowed=False,
    )
    return parsed.periods, parsed.problems


def parse_upload(
    filename: str,
    content: bytes,
    *,
    known_colleges: AbstractSet[str],
    known_specialties: AbstractSet[str],
    placed: Mapping[str, AbstractSet[str]] | None = None,
    max_rows: int = MAX_ROWS,
    max_lines: int = MAX_LINES,
    groups_allowed: bool = True,
) -> Parsed:
    """A schedule or (``groups_allowed``) a plain list of groups, told apart by the header.

    ``placed``: the colleges the catalogue names for each specialty code; a row putting a
    specialty at a college the catalogue does not name for it is a problem (a specialty whose
    colleges are not known yet fits any college). Never raises on malformed input.
    """
    if max_rows < 1 or max_lines <= max_rows:
        raise ValueError("max_rows must be positive and max_lines greater than max_rows")
    suffix = PurePath(filename).suffix.lower()
    try:
        if suffix == ".csv":
            records = _read_csv(content, max_rows, max_lines)
        elif suffix == ".xlsx":
            records = _read_xlsx(content, max_rows, max_lines)
        else:
            unsupported = __("unsupported file type: use CSV or XLSX")
            return Parsed([], [], [_problem(0, None, unsupported)])
    except _Unreadable as error:
        return Parsed([], [], [error.problem])
    return _validate(
        records, known_colleges, known_specialties, placed or {}, max_rows, groups_allowed
    )


# --- reading -------------------------------------------------------------------


def _is_blank(cells: Sequence[object]) -> bool:
    if cells.count(None) == len(cells):  # fast path for the padding rows of a sheet
        return True
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _collect(
    rows: Iterable[tuple[int, Sequence[object]]], max_rows: int, max_lines: int
) -> list[Record]:
    """Non-blank lines: the header, up to ``max_rows`` data rows and one more (if any); no
    line past ``max_lines`` is read."""
    records: list[Record] = []
    for line, cells in rows:
        if line > max_lines:
            raise _Unreadable(
                __(
                    "the file goes on past line {lines} (empty lines count too); at most {rows} "
                    "rows are imported at once: delete the empty rows below the data, or split "
                    "the file"
                ),
                {"lines": max_lines, "rows": max_rows},
            )
        if _is_blank(cells):
            continue
        records.append((line, tuple(cells)))
        if len(records) > max_rows + 1:
            break
    return records


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _Unreadable(__("the file is not valid UTF-16 text")) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251")
    except UnicodeDecodeError:
        raise _Unreadable(__("the file is neither UTF-8 nor Windows-1251 text")) from None


_SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE)


def _read_csv(content: bytes, max_rows: int, max_lines: int) -> list[Record]:
    if len(content) > MAX_CSV_BYTES:
        raise _Unreadable(
            __("the file is too large (max {mb} MB)"), {"mb": MAX_CSV_BYTES // (1024 * 1024)}
        )
    text = _decode(content)
    if "\x00" in text:
        raise _Unreadable(__("the file is not CSV text (it contains NUL bytes)"))

    lines = text.splitlines()
    delimiter = None
    if lines and (sep := _SEP_LINE.fullmatch(lines[0].strip())):
        # Excel's "sep=;" hint line: honour it and keep the line numbering.
        delimiter = sep.group(1)
        text = text[len(lines[0]) :]
        lines[0] = ""
    header = next((line for line in lines if line.strip()), "")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ";"

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, Sequence[object]]]:
        previous = 0
        try:
            for cells in reader:
                yield previous + 1, cells
                previous = reader.line_num
        except csv.Error as error:
            raise _Unreadable(
                __("malformed CSV: {error}"), {"error": error}, line=previous + 1
            ) from None

    return _collect(rows(), max_rows, max_lines)


def _read_xlsx(content: bytes, max_rows: int, max_lines: int) -> list[Record]:
    try:
        with open_xlsx(content) as workbook:
            if not workbook.worksheets:
                raise _Unreadable(__("the workbook has no worksheets"))
            try:
                rows = sheet_rows(workbook.worksheets[0])
                return _collect(enumerate(rows, start=1), max_rows, max_lines)
            except _Unreadable:
                raise
            except Exception:
                raise _Unreadable(
                    __("could not read the first worksheet of the XLSX file")
                ) from None
    except Unreadable as error:
        raise _Unreadable(error.template, error.params) from None


# --- validating ----------------------------------------------------------------


def _validate(
    records: list[Record],
    known_colleges: AbstractSet[str],
    known_specialties: AbstractSet[str],
    placed: Mapping[str, AbstractSet[str]],
    max_rows: int,
    groups_allowed: bool,
) -> Parsed:
    if not records:
        return Parsed([], [], [_problem(0, None, __("the file is empty"))])
    header_line, header = records[0]
    columns, problems = _columns(header_line, header)
    group_list = groups_allowed and not any(f in columns for f in HEADERS if f not in GROUP_HEADERS)
    required = GROUP_HEADERS if group_list else HEADERS
    problems = [p for p in problems if p.column in required or "appears twice" in p.template]
    if problems:
        return Parsed([], [], problems)
    if len(records) == 1:
        only_header = __("the file has no data rows, only the header")
        return Parsed([], [], [_problem(0, None, only_header)])

    colleges = {college.casefold(): college for college in known_colleges}
    periods: list[PracticumRow] = []
    groups: list[GroupRow] = []
    seen: dict[tuple[object, ...], int] = {}
    for index, (line, cells) in enumerate(records[1:]):
        if index >= max_rows:
            problems.append(_problem(line, None, __("too many rows (max {rows})"), rows=max_rows))
            break
        row, row_problems, key = _parse_row(
            line, cells, columns, required, colleges, known_specialties, placed
        )
        problems += row_problems
        if key is not None:
            if key in seen:
                problems.append(_problem(line, None, __("repeats line {first}"), first=seen[key]))
            else:
                seen[key] = line
        if isinstance(row, PracticumRow):
            periods.append(row)
        elif isinstance(row, GroupRow):
            groups.append(row)
    return Parsed(periods, groups, problems)


def _columns(line: int, header: Sequence[object]) -> tuple[dict[str, int], list[RowProblem]]:
    """Map each field to its cell index; problems for missing or repeated columns."""
    columns: dict[str, int] = {}
    problems: list[RowProblem] = []
    for index, cell in enumerate(header):
        field = _HEADER_ALIASES.get(_header_key(_text(cell)))
        if field is None:
            continue  # an extra column: ignored
        if field in columns:
            problems.append(
                _problem(
                    line,
                    field,
                    __("column '{name}' appears twice (columns {first} and {second})"),
                    name=field,
                    first=columns[field] + 1,
                    second=index + 1,
                )
            )
        else:
            columns[field] = index
    for field in HEADERS:
        if field not in columns:
            problems.append(
                _problem(line, field, __("missing required column '{name}'"), name=field)
            )
    return columns, problems


def _parse_row(
    line: int,
    cells: tuple[object, ...],
    columns: dict[str, int],
    required: Sequence[str],
    colleges: dict[str, str],
    specialties: AbstractSet[str],
    placed: Mapping[str, AbstractSet[str]],
) -> tuple[PracticumRow | GroupRow | None, list[RowProblem], tuple[object, ...] | None]:
    """The row (if valid), all its problems, and the key a repeat of it would share: (college,
    group, start) of a period, (college, group) of a listed group."""
    problems: list[RowProblem] = []
    values: dict[str, Any] = {}

    def cell(field: str) -> object:
        index = columns[field]
        return cells[index] if index < len(cells) else None

    parsers = {
        "college": lambda value: _parse_college(value, colleges),
        "group": _parse_group,
        "specialty": lambda value: _parse_specialty(value, specialties),
        "start": _parse_date,
        "end": _parse_date,
        "place": lambda value: _parse_text(value, PLACE_MAX),
        "supervisor": lambda value: _parse_text(value, SUPERVISOR_MAX),
        "report_deadline": _parse_date,
        "address": lambda value: _parse_text(value, PLACE_MAX),
        "time": _parse_time,
        "contact": lambda value: _parse_text(value, SUPERVISOR_MAX),
        "bring": lambda value: _parse_text(value, PLACE_MAX),
    }
    for field, parse in parsers.items():
        if field not in required and (field not in OPTIONAL_HEADERS or field not in columns):
            continue
        value = cell(field)
        if _is_blank((value,)):
            if field in required:
                problems.append(_problem(line, field, __("value is required")))
            continue
        try:
            values[field] = parse(value)
        except _BadValue as error:
            problems.append(_problem(line, field, error.template, **error.params))

    college, group, code = values.get("college"), values.get("group"), values.get("specialty")
    if isinstance(college, str) and isinstance(code, str) and placed.get(code):
        if college not in placed[code]:
            where = ", ".join(sorted(placed[code]))
            problems.append(
                _problem(
                    line,
                    "specialty",
                    __(
                        "the catalogue places {code} at {where}, not at {college}: fix the row "
                        "or the catalogue"
                    ),
                    code=code,
                    where=where,
                    college=college,
                )
            )
    key: tuple[object, ...] | None
    if required is GROUP_HEADERS:
        key = (college, group) if isinstance(college, str) and isinstance(group, str) else None
        if problems:
            return None, problems, key
        return GroupRow(line, values["college"], values["group"], values["specialty"]), [], key

    start, end, deadline = values.get("start"), values.get("end"), values.get("report_deadline")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(
            _problem(
                line,
                "end",
                __("end {end} is before start {start}"),
                end=_fmt(end),
                start=_fmt(start),
            )
        )
    if isinstance(end, date) and isinstance(deadline, date) and deadline < end:
        problems.append(
            _problem(
                line,
                "report_deadline",
                __("report deadline {deadline} is before end {end}"),
                deadline=_fmt(deadline),
                end=_fmt(end),
            )
        )

    key = None
    if isinstance(college, str) and isinstance(group, str) and isinstance(start, date):
        key = (college, group, start)
    if problems:
        return None, problems, key
    row = PracticumRow(
        line=line,
        college_id=values["college"],
        group=values["group"],
        specialty_code=values["specialty"],
        start=values["start"],
        end=values["end"],
        place=values["place"],
        supervisor=values["supervisor"],
        report_deadline=values["report_deadline"],
        address=values.get("address", ""),
        meet_time=values.get("time", ""),
        contact=values.get("contact", ""),
        bring=values.get("bring", ""),
    )
    return row, [], key


# --- cell values ---------------------------------------------------------------


def _parse_college(value: object, colleges: dict[str, str]) -> str:
    text = _squeeze(_text(value))
    college = colleges.get(text.casefold())
    if college is None:
        raise _BadValue(__("unknown college {value}"), value=_quote(text))
    return college


def _parse_group(value: object) -> str:
    text = _squeeze(_text(value)).upper()
    if len(text) > GROUP_MAX:
        raise _BadValue(
            __("{value} is longer than {limit} characters"), value=_quote(text), limit=GROUP_MAX
        )
    group = clean_group(text)
    if group is None:
        raise _BadValue(
            __("{value} may contain only letters, digits, '-', '_' and spaces"),
            value=_quote(text),
        )
    return group


_TIME = re.compile(r"(\d{1,2})[:.\-](\d{2})")


def _parse_time(value: object) -> str:
    """The meeting time of the first day, as HH:MM (an Excel time cell, or «8:00», «08.30»)."""
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    text = _squeeze(_text(value))
    match = _TIME.fullmatch(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise _BadValue(__("{value} is not a time HH:MM"), value=_quote(text))
    return f"{int(match.group(1)):02d}:{match.group(2)}"


_SPECIALTY = re.compile(r"\d{2}\.\d{2}\.\d{2}")


def _parse_specialty(value: object, specialties: AbstractSet[str]) -> str:
    if isinstance(value, date) and YEAR_MIN <= value.year < YEAR_MIN + 100:
        # Russian Excel turns a typed "22.02.08" into the date 22.02.2008: undo that.
        text = value.strftime("%d.%m.%y")
    else:
        text = _squeeze(_text(value))
    if not _SPECIALTY.fullmatch(text):
        raise _BadValue(__("{value} is not a specialty code NN.NN.NN"), value=_quote(text))
    if text not in specialties:
        raise _BadValue(__("unknown specialty {value}"), value=_quote(text))
    return text


def _parse_date(value: object) -> date:
    return _parse_any_date(value, YEAR_MIN, YEAR_MAX)


def _parse_text(value: object, limit: int) -> str:
    text = _squeeze(_text(value))
    if len(text) > limit:
        raise _BadValue(
            __("longer than {limit} characters ({length})"), limit=limit, length=len(text)
        )
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise _BadValue(__("{value} contains control characters"), value=_quote(text))
    return text
