"""Uploaded spreadsheets read safely, and their cells read as text and dates.

Shared by the work placement import and the catalogue workbook. An XLSX file is a zip archive:
its declared member sizes are checked before openpyxl unpacks anything (a zip bomb is one
problem, not a full disk), and every sheet's declared dimension is ignored (it may lie).

Pure module: no aiogram, no database.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

# Guards against huge files and zip bombs. A real schedule or catalogue is well under 1 MB.
MAX_XLSX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_COLUMNS = 64  # columns further right are not read at all


def __(template: str) -> str:
    """Marks a text made here for translation (pybabel's keyword ``__``): the handler showing
    it translates ``template`` and fills in ``params``; ``str()`` is the English."""
    return template


NOT_XLSX = __("the file is not a valid XLSX workbook")


class _Explained(Exception):
    """An error whose message is a problem to show the staff, in their language: a template
    (a msgid, English) and its values."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params) if params else template)
        self.template = template
        self.params = params


class Unreadable(_Explained):
    """The file cannot be read at all; the message is the one problem to report."""


class BadValue(_Explained, ValueError):
    """A cell value is rejected; the message is the problem to report."""


@contextmanager
def open_xlsx(content: bytes) -> Iterator[Any]:
    """The workbook of an uploaded XLSX file, read-only with values (no formulas), closed
    after use; :class:`Unreadable` when it is not one or unpacks too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Unreadable(NOT_XLSX) from None
    # Declared sizes are enforced by zipfile when reading (a lie fails the CRC check).
    if (
        len(members) > MAX_XLSX_MEMBERS
        or sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES
    ):
        raise Unreadable(__("the XLSX file is too large when unpacked"))
    # Imported here, with the first workbook: openpyxl is some 30 MB that most processes of
    # the bot never need.
    import openpyxl

    # openpyxl warns about things it drops (data validation, drawings, default styles):
    # irrelevant here, and the test-suite turns warnings into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises anything on a broken file
            raise Unreadable(NOT_XLSX) from None
        try:
            yield workbook
        finally:
            workbook.close()


# A cell whose text starts with one of these is a formula to Excel and LibreOffice (a tab or
# a carriage return is skipped and what follows is read; the full-width forms are turned
# into the plain ones by some input methods). An applicant controls some of the exported
# text, e.g. an e-mail like ``=cmd|'/ccalc'!A1@x.ru`` accepted before the check tightened.
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` typed or opened as a cell."""
    return bool(text) and (text[0] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS)


def as_text(cell: Any) -> None:
    """Keep a text cell text. openpyxl stores a string that starts with ``=`` as a formula:
    it is stored as a string instead, exactly as typed; and a cell that looks like a formula
    gets Excel's quote prefix (the invisible apostrophe), so editing it does not turn it into
    one either."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True


def sheet_rows(sheet: Any) -> Iterator[tuple[object, ...]]:
    """The rows of a read-only sheet as values, up to its last row actually present."""
    # The <dimension> in the file may lie (e.g. A1:XFD1048576): ignore it.
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    yield from sheet.iter_rows(min_row=1, max_col=MAX_XLSX_COLUMNS, values_only=True)


def fmt_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def cell_text(value: object) -> str:
    """A cell as text (XLSX cells may be numbers or dates)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return fmt_date(value) if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def squeeze(text: str) -> str:
    """Strip and collapse every run of whitespace (newlines, NBSP, tabs) to one space."""
    return " ".join(text.split())


def quote(text: str, limit: int = 40) -> str:
    text = squeeze(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


_MIDNIGHT = r"(?:[ T]0?0:00(?::00)?)?"  # "2026-07-01 00:00:00" as written by some tools
_DMY = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})" + _MIDNIGHT)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _MIDNIGHT)


def parse_date(value: object, year_min: int, year_max: int) -> date:
    """A date cell, or a text DD.MM.YYYY (or YYYY-MM-DD); :class:`BadValue` otherwise."""
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        text = squeeze(cell_text(value))
        not_a_date = BadValue(__("{value} is not a date DD.MM.YYYY"), value=quote(text))
        if match := _DMY.fullmatch(text):
            day, _, month, year = match.groups()
        elif match := _ISO.fullmatch(text):
            year, month, day = match.groups()
        else:
            raise not_a_date
        try:
            result = date(int(year), int(month), int(day))
        except ValueError:
            raise not_a_date from None
    if not year_min <= result.year <= year_max:
        raise BadValue(
            __("{date}: the year must be between {low} and {high}"),
            date=fmt_date(result), low=year_min, high=year_max,
        )  # fmt: skip
    return result
