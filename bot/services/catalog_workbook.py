"""The catalogue as an Excel workbook the colleges keep current, read back, and compared.

:func:`workbook_bytes` writes four sheets: «Специальности», «Колледжи», «Даты приёма», «FAQ».
One row per item and one column per field, Russian and English side by side; «Источник» is
the item's source, «Источники полей» a field's own source, one «поле: источник» a line.

:func:`read_workbook` never raises on a bad file: it returns the catalogue, or ``None`` and
every problem with its sheet, row and column (``«Специальности», row 5, column «Бюджетных
мест» (P): …``). It reads the workbook against a catalogue (the current one): what no sheet
holds (the cluster, the documents, whatever else the catalogue keeps) comes from it, and the
result is validated whole, as a TOML file is.

:func:`diff` lists what changed between two catalogues, one line a value
(«22.02.08: бюджетных мест: уточняется → 25»); :func:`outside_college` picks the changes that
staff of one college may not make (a college edits its own row and the specialties it
teaches).

No aiogram here: a staff handler sends and receives the file, and renders the result.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.domain.catalog import (
    Catalog,
    Problem,
    SpecialtyKind,
    StudyForm,
    validate_catalog_data,
)
from bot.domain.spreadsheet import (
    BadValue,
    Unreadable,
    as_text,
    cell_text,
    fmt_date,
    open_xlsx,
    parse_date,
    quote,
    sheet_rows,
)

__all__ = [
    "SHEETS",
    "Change",
    "WorkbookProblem",
    "catalog_workbook",
    "diff",
    "outside_college",
    "read_workbook",
    "workbook_bytes",
]

UNKNOWN = "уточняется"
MAX_ROWS = 500  # items of one sheet; a catalogue has tens
MAX_LINES = 2000  # rows read at most, empty ones included
TEXT_MAX = 2000
YEAR_MIN, YEAR_MAX = 2020, 2100

# --- columns ----------------------------------------------------------------------------------

YES, NO = "да", "нет"
KINDS = {SpecialtyKind.specialty: "специальность", SpecialtyKind.profession: "профессия"}
FORMS = {
    StudyForm.full_time: "очная",
    StudyForm.part_time: "очно-заочная",
    StudyForm.extramural: "заочная",
}


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str  # the catalogue's field; "source" and "sources" are the two source columns
    kind: str = "text"  # how the cell is written and read, see _WRITE and _READ
    lang: str = ""  # "ru" / "en": one language of a bilingual text
    required: bool = False

    @property
    def label(self) -> str:
        """The field's name in a line of the diff: «бюджетных мест», «название (ru)»."""
        return self.header[:1].lower() + self.header[1:]


def _pair(header: str, field: str, required: bool = False) -> list[Column]:
    return [
        Column(f"{header} (ru)", field, "text", "ru", required),
        Column(f"{header} (en)", field, "text", "en", required),
    ]


SOURCE = Column("Источник", "source")
FIELD_SOURCES = Column("Источники полей", "sources", "sources")

SPECIALTY_COLUMNS = [
    Column("Код", "code", "code", required=True),
    Column("Прежние коды", "former_codes", "codes"),
    Column("Вид", "kind", "kind", required=True),
    Column("Входит в кластер", "confirmed", "flag"),
    *_pair("Название", "name", required=True),
    *_pair("Кратко", "short_name", required=True),
    *_pair("Квалификация", "qualification"),
    Column("Колледжи", "colleges", "ids"),
    Column("Приём после классов", "education_base", "bases"),
    *_pair("Срок обучения", "duration"),
    Column("Форма обучения", "form_of_study", "form"),
    Column("Бюджетных мест", "budget_places", "int"),
    Column("Вступительные испытания", "entrance_tests", "bool"),
    Column("Медицинская справка", "medical_certificate", "bool"),
    Column("Новая программа", "new_programme", "flag"),
    *_pair("Описание", "description"),
    *_pair("Работа выпускника", "career"),
    SOURCE,
    FIELD_SOURCES,
]
COLLEGE_COLUMNS = [
    Column("Id", "id", required=True),
    *_pair("Название", "name", required=True),
    *_pair("Кратко", "short_name", required=True),
    *_pair("Город", "city", required=True),
    *_pair("Полное наименование", "legal_name"),
    Column("Адрес", "address"),
    Column("Телефон", "phone"),
    Column("E-mail", "email"),
    Column("Сайт", "website"),
    SOURCE,
    FIELD_SOURCES,
]
CAMPAIGN_COLUMNS = [
    Column("Год", "year", "int", required=True),
    Column("Начало приёма (не позднее)", "acceptance_start", "date", required=True),
    Column("Начало приёма — дата колледжа", "acceptance_start_exact", "flag"),
    Column("Конец приёма", "acceptance_end", "date", required=True),
    Column(
        "Конец приёма при вступительных испытаниях",
        "acceptance_end_with_tests",
        "date",
        required=True,
    ),
    Column("Оригиналы до", "originals_deadline", "date", required=True),
    Column("Приказ о зачислении", "enrollment_order", "date"),
    Column("Дополнительный приём до", "extra_acceptance_end", "date"),
    Column("Подача через Госуслуги", "gosuslugi_pilot", "bool"),
    Column("Даты подтверждены", "confirmed", "flag"),
    SOURCE,
    FIELD_SOURCES,
]
FAQ_COLUMNS = [*_pair("Вопрос", "question", True), *_pair("Ответ", "answer", True), SOURCE]


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    section: str  # the catalogue's list
    columns: list[Column]
    ident: Callable[[Any], str]  # what identifies an item across versions
    name: Callable[[Any], str]  # how a line of the diff names it


SHEETS = [
    Sheet("Специальности", "specialties", SPECIALTY_COLUMNS, lambda s: s.code, lambda s: s.code),
    Sheet("Колледжи", "colleges", COLLEGE_COLUMNS, lambda c: c.id, lambda c: c.short_name.ru),
    Sheet("Даты приёма", "campaigns", CAMPAIGN_COLUMNS, lambda c: str(c.year),
          lambda c: str(c.year)),
    Sheet("FAQ", "faq", FAQ_COLUMNS, lambda f: f.question.ru,
          lambda f: f"FAQ «{f.question.ru[:40]}»"),
]  # fmt: skip

# --- writing ----------------------------------------------------------------------------------


def _labels_of(columns: list[Column]) -> dict[str, str]:
    """Field → its header without the language, for «Источники полей»."""
    return {c.field: re.sub(r" \((ru|en)\)$", "", c.header) for c in columns}


def _cell(item: Any, column: Column, labels: dict[str, str]) -> str | int | date | None:
    """The value of ``column`` for ``item`` as the workbook shows it (``None``: empty)."""
    value = getattr(item, column.field)
    if column.lang:
        return None if value is None else getattr(value, column.lang)
    if value is None or value == []:
        return None
    if column.kind in ("codes", "ids", "bases"):
        return ", ".join(str(v) for v in value)
    if column.kind in ("bool", "flag"):
        return YES if value else (None if column.kind == "flag" else NO)
    if column.kind == "kind":
        return KINDS[value]
    if column.kind == "form":
        return FORMS[value]
    if column.kind == "sources":
        return "\n".join(f"{labels.get(field, field)}: {text}" for field, text in value.items())
    assert isinstance(value, (str, int, date))
    return value


def catalog_workbook(catalog: Catalog) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in SHEETS:
        ws = workbook.create_sheet(sheet.title)
        ws.append([column.header for column in sheet.columns])
        labels = _labels_of(sheet.columns)
        for item in getattr(catalog, sheet.section):
            ws.append([_cell(item, column, labels) for column in sheet.columns])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            ws[f"{letter}1"].font = Font(bold=True)
            wide = column.kind in ("text", "sources") and column.field not in ("code", "id")
            ws.column_dimensions[letter].width = 40 if wide else 16
            for cell in ws[letter][1:]:
                as_text(cell)  # a text stays a text, never a formula
                if isinstance(cell.value, date):
                    cell.number_format = "DD.MM.YYYY"
                if wide:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "B2"
    return workbook


def workbook_bytes(catalog: Catalog) -> bytes:
    """The catalogue as an XLSX file to send."""
    out = io.BytesIO()
    catalog_workbook(catalog).save(out)
    return out.getvalue()


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkbookProblem:
    """One thing wrong with an uploaded workbook: its sheet, row (1: the header) and column."""

    sheet: str
    row: int  # 0: the sheet (or the file) as a whole
    column: str  # a header, with its letter: «Бюджетных мест» (P); "" for a whole row
    message: str

    def __str__(self) -> str:
        where = [f"«{self.sheet}»"] if self.sheet else []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold().replace("ё", "е")


def _text(value: object) -> str:
    text = cell_text(value).strip()
    if len(text) > TEXT_MAX:
        raise BadValue(f"longer than {TEXT_MAX} characters ({len(text)})")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise BadValue(f"{quote(text)} contains control characters")
    return text


def _items(value: object) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", _text(value)) if part.strip()]


def _code(value: object) -> str:
    if isinstance(value, date):
        # Russian Excel turns a typed "22.02.08" into the date 22.02.2008: undo that.
        return value.strftime("%d.%m.%y")
    return _text(value)


def _choice(value: object, names: dict[Any, str], what: str) -> Any:
    text = _header_key(_text(value))
    for member, name in names.items():
        if text in (name, str(member)):
            return member
    allowed = ", ".join(names.values())
    raise BadValue(f"{quote(_text(value))} is not a {what} (one of: {allowed})")


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _header_key(_text(value))
    if text in (YES, "yes", "true", "1"):
        return True
    if text in (NO, "no", "false", "0"):
        return False
    raise BadValue(f"{quote(_text(value))}: write «{YES}» or «{NO}», or leave it empty")


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"-?\d{1,6}", text):
        raise BadValue(f"{quote(text)} is not a whole number")
    return int(text)


def _bases(value: object) -> list[int]:
    items = _items(value) if not isinstance(value, (int, float)) else [cell_text(value)]
    bases = []
    for item in items:
        if item not in ("9", "11"):
            raise BadValue(f"{quote(item)} is not an education base: write 9, 11 or «9, 11»")
        bases.append(int(item))
    return bases


def _sources(labels: dict[str, str]) -> Callable[[object], dict[str, str]]:
    fields = {_header_key(label): field for field, label in labels.items()}
    fields.update({_header_key(field): field for field in labels})

    def parse(value: object) -> dict[str, str]:
        found: dict[str, str] = {}
        for line in _text(value).splitlines():
            if not line.strip():
                continue
            name, colon, text = line.partition(":")
            field = fields.get(_header_key(name))
            if not colon or field is None or not text.strip():
                raise BadValue(
                    f"{quote(line)}: write one «field: source» a line, the field as its column "
                    "is named, e.g. «Бюджетных мест: Приказ колледжа № 12 от 01.03.2027»"
                )
            found[field] = text.strip()
        return found

    return parse


_READ: dict[str, Callable[[object], Any]] = {
    "text": _text,
    "code": _code,
    "codes": lambda v: [_code(v)] if isinstance(v, date) else _items(v),
    "ids": _items,
    "bases": _bases,
    "int": _int,
    "bool": _bool,
    "flag": _bool,
    "kind": lambda v: _choice(v, KINDS, "kind"),
    "form": lambda v: _choice(v, FORMS, "form of study"),
    "date": lambda v: parse_date(v, YEAR_MIN, YEAR_MAX),
}


@dataclass(slots=True)
class _SheetRead:
    sheet: Sheet
    places: dict[str, str]  # "field" / "field.ru" → the column as the problem names it
    rows: list[int]  # the row of each item
    items: list[dict[str, Any]]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(
    sheet: Sheet, rows: Iterator[tuple[object, ...]], problems: list[WorkbookProblem]
) -> _SheetRead:
    read = _SheetRead(sheet, {}, [], [])

    def problem(row: int, column: str, message: str) -> None:
        problems.append(WorkbookProblem(sheet.title, row, column, message))

    before = len(problems)
    header = next(rows, ())
    by_header = {_header_key(c.header): c for c in sheet.columns}
    index: dict[Column, int] = {}
    for i, cell in enumerate(header):
        if _blank(cell):
            continue
        name = f"«{cell_text(cell).strip()}» ({get_column_letter(i + 1)})"
        column = by_header.get(_header_key(cell_text(cell)))
        if column is None:
            problem(1, name, "unknown column (a typo? the columns are named as in the download)")
        elif column in index:
            problem(1, name, "the column appears twice")
        else:
            index[column] = i
            read.places[column.field + (f".{column.lang}" if column.lang else "")] = name
    for column in sheet.columns:
        if column not in index:
            problem(1, f"«{column.header}»", "the column is missing")
    if len(problems) > before:
        return read  # the rows cannot be read right without their columns

    labels = _labels_of(sheet.columns)
    readers = {**_READ, "sources": _sources(labels)}
    for number, cells in enumerate(rows, start=2):
        if number > MAX_LINES:
            problem(number, "", f"the sheet is read up to row {MAX_LINES} only")
            break
        values = {c: cells[i] if i < len(cells) else None for c, i in index.items()}
        if all(_blank(v) for v in values.values()):
            continue
        if len(read.items) >= MAX_ROWS:
            problem(number, "", f"too many rows (at most {MAX_ROWS})")
            break
        item: dict[str, Any] = {}
        texts: dict[str, dict[str, str]] = {}
        for column, value in values.items():
            where = read.places[column.field + (f".{column.lang}" if column.lang else "")]
            if _blank(value):
                if column.required:
                    problem(number, where, "a value is needed")
                continue
            try:
                parsed = readers[column.kind](value)
            except BadValue as error:
                problem(number, where, str(error))
                continue
            if column.lang:
                texts.setdefault(column.field, {})[column.lang] = parsed
            else:
                item[column.field] = parsed
        required = {c.field for c in sheet.columns if c.required}
        for field, pair in texts.items():
            if len(pair) == 1 and field not in required:  # both languages, or neither
                missing = "en" if "ru" in pair else "ru"
                problem(number, read.places[f"{field}.{missing}"], "the other language is filled "
                        "in: both languages are needed")  # fmt: skip
            item[field] = pair
        read.rows.append(number)
        read.items.append(item)
    return read


_PLACE = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?(?:\[\d+\])?(?:\.(ru|en))?")
_INDEX = re.compile(r"\b(\w+)\[(\d+)\]")


def _locate(problem: Problem, reads: dict[str, _SheetRead]) -> WorkbookProblem:
    """A problem of the catalogue (``specialties[3].name.en``) at its sheet, row and column."""

    def row_of(match: re.Match[str]) -> str:
        read = reads.get(match.group(1))
        i = int(match.group(2))
        return f"row {read.rows[i]}" if read and i < len(read.rows) else match.group(0)

    message = _INDEX.sub(row_of, problem.message)
    match = _PLACE.match(problem.place)
    read = reads.get(match.group(1)) if match else None
    if match is None or read is None or int(match.group(2)) >= len(read.rows):
        return WorkbookProblem("", 0, "", str(Problem(problem.place, message)))
    field, lang = match.group(3) or "", match.group(4) or ""
    column = read.places.get(f"{field}.{lang or 'ru'}", read.places.get(field, ""))
    if field and not column:
        message = f"{field}: {message}"
    return WorkbookProblem(read.sheet.title, read.rows[int(match.group(2))], column, message)


def read_workbook(content: bytes, base: Catalog) -> tuple[Catalog | None, list[WorkbookProblem]]:
    """The catalogue of an uploaded workbook (the rest from ``base``), or ``None`` and every
    problem with its place. Nothing is raised for a bad file."""
    problems: list[WorkbookProblem] = []
    reads: dict[str, _SheetRead] = {}
    try:
        with open_xlsx(content) as workbook:
            titles = {_header_key(ws.title): ws for ws in workbook.worksheets}
            for sheet in SHEETS:
                ws = titles.get(_header_key(sheet.title))
                if ws is None:
                    problems.append(WorkbookProblem(sheet.title, 0, "", "the sheet is missing"))
                    continue
                reads[sheet.section] = _read_sheet(sheet, sheet_rows(ws), problems)
    except Unreadable as error:
        return None, [WorkbookProblem("", 0, "", str(error))]
    except Exception:  # a file openpyxl opened but cannot walk
        return None, [WorkbookProblem("", 0, "", "the workbook cannot be read")]
    if any(p.row <= 1 for p in problems):
        return None, problems  # a sheet or a column is missing: its rows were not read
    data = base.model_dump()
    for section, read in reads.items():
        data[section] = read.items
    catalog, found = validate_catalog_data(data)
    # The rules of the catalogue too, with the cells that could not be read left out: every
    # problem in one go. A cell already reported is not reported again as a missing value.
    reported = {(p.sheet, p.row, p.column) for p in problems}
    located = [_locate(p, reads) for p in found]
    problems += [p for p in located if (p.sheet, p.row, p.column) not in reported]
    return (None, problems) if problems else (catalog, [])


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One value that changed: ``field`` of the item ``item`` (a code, a college id, a year),
    named ``name`` in the line shown to staff."""

    section: str
    item: str
    name: str
    field: str  # "" when the whole item was added or removed
    label: str
    before: str | None  # None: not known («уточняется»), or no such item
    after: str | None

    def __str__(self) -> str:
        if not self.field:
            return f"{self.name}: {'добавлено' if self.before is None else 'удалено'}"
        return f"{self.name}: {self.label}: {self.before or UNKNOWN} → {self.after or UNKNOWN}"


def _values(item: Any, sheet: Sheet) -> dict[str, tuple[str, str | None]]:
    """Each value of an item as the workbook shows it, with its label."""
    labels = _labels_of(sheet.columns)
    values = {}
    for column in sheet.columns:
        if column.kind != "sources":
            value = _cell(item, column, labels)
            shown = fmt_date(value) if isinstance(value, date) else value
            key = column.field + (f".{column.lang}" if column.lang else "")
            values[key] = (column.label, None if shown is None else str(shown))
    for field, text in getattr(item, "sources", {}).items():
        label = labels.get(field, field)
        values[f"sources.{field}"] = (f"источник ({label[:1].lower()}{label[1:]})", text)
    return values


def _matched(sheet: Sheet, old: list[Any], new: list[Any]) -> Iterator[tuple[Any, Any]]:
    """Pairs (old, new) of the same item, ``None`` on the side where it does not exist. A
    specialty whose code was replaced is matched through its ``former_codes``."""
    olds = {sheet.ident(item): item for item in old}
    seen = set()
    for item in new:
        before = olds.get(sheet.ident(item))
        if before is None:
            before = next((olds[c] for c in getattr(item, "former_codes", []) if c in olds), None)
        if before is not None:
            seen.add(sheet.ident(before))
        yield before, item
    for ident, item in olds.items():
        if ident not in seen:
            yield item, None


def diff(old: Catalog, new: Catalog) -> list[Change]:
    """Every value that differs, item by item, sheet by sheet."""
    changes = []
    for sheet in SHEETS:
        pairs = _matched(sheet, getattr(old, sheet.section), getattr(new, sheet.section))
        for before, after in pairs:
            item = after if after is not None else before
            ident, name = sheet.ident(item), sheet.name(item)
            if before is None or after is None:
                gone = None if before is None else name
                here = None if after is None else name
                changes.append(Change(sheet.section, ident, name, "", "", gone, here))
                continue
            if sheet.ident(before) != ident:
                name = f"{sheet.name(before)} → {name}"  # a code replaced by a new standard
            was, now = _values(before, sheet), _values(after, sheet)
            for field in [*now, *(f for f in was if f not in now)]:
                label = (now.get(field) or was[field])[0]
                previous, current = was.get(field, ("", None))[1], now.get(field, ("", None))[1]
                if previous != current:
                    changes.append(
                        Change(sheet.section, ident, name, field, label, previous, current)
                    )
    return changes


def outside_college(
    changes: list[Change], old: Catalog, new: Catalog, college_id: str
) -> list[Change]:
    """The changes staff of ``college_id`` may not make: anything but its own row (not its
    id) and the specialties it teaches (before or after the change), where it may add or
    remove only itself in «Колледжи». Campaigns and the FAQ are the administrators'."""
    own = {s.code for s in (*old.specialties, *new.specialties) if college_id in s.colleges}
    refused = []
    for change in changes:
        if change.section == "colleges":
            allowed = change.item == college_id and change.field not in ("", "id")
        elif change.section == "specialties":
            allowed = change.item in own and change.field != ""
            if allowed and change.field == "colleges":
                was = set(_items(change.before or ""))
                now = set(_items(change.after or ""))
                allowed = was ^ now <= {college_id}
        else:
            allowed = False
        if not allowed:
            refused.append(change)
    return refused
