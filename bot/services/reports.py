"""Staff reports: ranking order, the Excel and CSV exports, the statistics chart.

No aiogram here: the handler passes every translated text in (``ReportTexts``,
``ChartLabels``), so these functions are tested without Telegram. Building a file or a chart
is CPU-bound: call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot.domain.applications import CHANNELS, STATUSES
from bot.domain.spreadsheet import as_text as _as_text
from bot.domain.spreadsheet import looks_like_formula
from bot.domain.telegram_text import MESSAGE_LIMIT, plain_text, telegram_length, truncate_utf16
from db.applications import RANKED_STATUSES
from db.reports import ReportRow, Statistics

# openpyxl and matplotlib (some 60 MB and a second to import) are imported by the functions
# that use them: a process that never exports loads neither.
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from openpyxl.worksheet.worksheet import Worksheet

# Columns of the "all applications" sheet and of the CSV, and of a specialty's ranking sheet.
ALL_COLUMNS = (
    "number", "status", "full_name", "birth_date", "phone", "email", "education_base",
    "average_score", "priority_1", "priority_2", "priority_3", "dormitory", "channel", "minor",
    "original", "medical", "documents", "submitted_at", "updated_at", "user_id",
)  # fmt: skip
RANK_COLUMNS = (
    "place", "number", "average_score", "original", "status", "submitted_at", "priority",
)  # fmt: skip

SHEET_TITLE_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
WITHIN_BUDGET = "FFC6EFCE"  # the fill of the rows within the budget places
CUT_LINE = "FFC00000"  # the line under the last of them


@dataclass(frozen=True, slots=True)
class SpecialtyInfo:
    """A specialty as a report shows it: ``name`` the short one (a button, a sheet's tab),
    ``full_name`` the official one; ``budget_places`` None: not known yet."""

    code: str
    name: str
    budget_places: int | None
    full_name: str = ""


@dataclass(frozen=True, slots=True)
class ReportTexts:
    """Translated texts of the exports. ``headers`` has a header for every column key;
    ``budget_places`` is a template with ``{places}``."""

    headers: Mapping[str, str]
    all_sheet: str
    statuses: Mapping[str, str]
    channels: Mapping[str, str]
    yes: str
    no: str
    budget_places: str
    unknown: str
    decimal_separator: str = ","


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """Translated texts of the statistics chart; ``locale`` names the days in the reader's
    language («20 нояб.», «20 Nov»)."""

    locale: str
    specialties: str
    days: str
    statuses: str
    channels: str
    applications: str
    first_priority: str
    budget_places: str
    no_data: str
    status_names: Mapping[str, str]
    channel_names: Mapping[str, str]


# --- ranking ----------------------------------------------------------------------------------


def ranking_key(row: ReportRow) -> tuple[Decimal, bool, datetime, int]:
    """The ranking order of ``ApplicationRepository.ranking``: higher score first, then the
    original certificate received, then the earlier submission, then the lower id."""
    return (-row.data.average_score, not row.original_received, row.submitted_at, row.id)


def rank(rows: Iterable[ReportRow], code: str) -> list[ReportRow]:
    """The applications competing for a specialty (any priority), best first; an enrolled
    applicant only where enrolled (``competes``)."""
    return sorted((r for r in rows if competes(r, code)), key=ranking_key)


def competes(row: ReportRow, code: str) -> bool:
    """The rule of ``ApplicationRepository.ranking``: a chosen specialty, a ranked status, and
    for an enrolled applicant the specialty of the enrolment (or any, when it is not known)."""
    if code not in row.data.specialties or row.status not in RANKED_STATUSES:
        return False
    return row.status != "enrolled" or row.enrolled_code in (None, code)


def chunk_lines(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML lines joined into as few texts as they fit in, each at most ``limit`` long as
    Telegram counts (UTF-16 units after the HTML is parsed; a tag never spans lines)."""
    chunks: list[str] = []
    current, used = "", 0
    for line in lines:
        size = telegram_length(line)
        if size > limit:  # one line alone too long: its plain text, cut
            line = html.escape(truncate_utf16(plain_text(line), limit), quote=False)
            size = telegram_length(line)
        if current and used + 1 + size > limit:
            chunks.append(current)
            current, used = "", 0
        current, used = (f"{current}\n{line}", used + 1 + size) if current else (line, size)
    if current or not chunks:
        chunks.append(current)
    return chunks


# --- Excel and CSV ----------------------------------------------------------------------------


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet title: no ``[]:*?/\\``, at most 31 characters (cut after a
    whole word), no apostrophe at either end; ``taken`` (lower-cased titles) is updated."""
    title = _SHEET_FORBIDDEN.sub(" ", text).strip().strip("'").strip() or "Sheet"
    title = _whole_words(title, SHEET_TITLE_MAX)
    unique, n = title, 1
    while unique.casefold() in taken or unique.casefold() == "history":
        n += 1
        suffix = f" ({n})"
        unique = _whole_words(title, SHEET_TITLE_MAX - len(suffix)) + suffix
    taken.add(unique.casefold())
    return unique


def _whole_words(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters after its last whole word that fits (a first word
    longer than that is cut), without an apostrophe or a space at the end."""
    if len(text) > limit:
        cut = text[: limit + 1].rsplit(" ", 1)[0]
        text = cut if cut and len(cut) <= limit else text[:limit]
    return text.rstrip("' ")


def _local(moment: datetime, tz: tzinfo) -> datetime:
    """Excel has no time zones: the local wall-clock time of the cluster, naive."""
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _values(row: ReportRow, texts: ReportTexts, tz: tzinfo) -> dict[str, object]:
    def yes_no(flag: bool) -> str:
        return texts.yes if flag else texts.no

    data = row.data
    choices = [*data.specialties, "", "", ""]
    return {
        "number": row.number,
        "status": texts.statuses.get(row.status, row.status),
        "full_name": data.full_name,
        "birth_date": data.birth_date,
        "phone": data.phone,
        "email": data.email or "",
        "education_base": data.education_base,
        "average_score": data.average_score,
        "priority_1": choices[0],
        "priority_2": choices[1],
        "priority_3": choices[2],
        "dormitory": yes_no(data.dormitory),
        "channel": texts.channels.get(data.channel, data.channel),
        "minor": yes_no(data.minor),
        "original": yes_no(row.original_received),
        "medical": yes_no(row.medical_received),
        "documents": row.documents,
        "submitted_at": _local(row.submitted_at, tz),
        "updated_at": _local(row.updated_at, tz),
        "user_id": row.user_id,
    }


def write_table(
    ws: Worksheet,
    columns: Sequence[str],
    headers: Mapping[str, str],
    records: Iterable[Mapping[str, object]],
) -> None:
    """A header row (after whatever rows the sheet has) and a row per record, each cell of its
    type: text (never a formula), a number, a date; the header frozen, with filters."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append([headers[key] for key in columns])
    header = ws.max_row
    for cell in ws[header][: len(columns)]:
        cell.font = Font(bold=True)
        _as_text(cell)
    widths = [len(headers[key]) for key in columns]
    for record in records:
        ws.append([record[key] for key in columns])
        for i, cell in enumerate(ws[ws.max_row][: len(columns)]):
            _as_text(cell)
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
                width = len(DATETIME_FORMAT)
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
                width = len(DATE_FORMAT)
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
                width = 5
            else:
                width = len(str(cell.value or ""))
            widths[i] = max(widths[i], width)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 50)
    # The header stays in view, and so does the application's number (the first column).
    ws.freeze_panes = f"B{header + 1}"
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(columns))}{ws.max_row}"


def build_xlsx(
    rows: Sequence[ReportRow],
    specialties: Sequence[SpecialtyInfo],
    texts: ReportTexts,
    tz: tzinfo,
) -> bytes:
    """An .xlsx workbook: every application on the first sheet, then a ranking sheet per
    specialty (its tab: the code and the short name; its first row: the full name and the
    state-funded places) whose rows within the state-funded places are green, with a red line
    under the last."""
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, PatternFill, Side

    within_budget = PatternFill("solid", start_color=WITHIN_BUDGET, end_color=WITHIN_BUDGET)
    cut_line = Side(style="thick", color=CUT_LINE)
    workbook = Workbook()
    taken: set[str] = set()
    everything = workbook.active
    assert everything is not None
    everything.title = sheet_title(texts.all_sheet, taken)
    write_table(everything, ALL_COLUMNS, texts.headers, (_values(r, texts, tz) for r in rows))

    for specialty in specialties:
        ws = workbook.create_sheet(sheet_title(f"{specialty.code} {specialty.name}", taken))
        places = specialty.budget_places
        ws.append([f"{specialty.code} {specialty.full_name or specialty.name}"])
        title = ws.cell(row=1, column=1)
        title.font = Font(bold=True, size=12)
        _as_text(title)
        ranked = rank(rows, specialty.code)
        records = [
            {
                **_values(r, texts, tz),
                "place": place,
                "priority": r.priority_of(specialty.code),
            }
            for place, r in enumerate(ranked, start=1)
        ]
        write_table(ws, RANK_COLUMNS, texts.headers, records)
        note = ws.cell(row=1, column=len(RANK_COLUMNS) + 2)
        note.value = texts.budget_places.format(places=texts.unknown if places is None else places)
        note.font = Font(italic=True)
        _as_text(note)
        ws.column_dimensions[note.column_letter].width = len(str(note.value)) + 2
        if places is None:
            continue
        header = 2
        for row in ws.iter_rows(min_row=header + 1, max_row=min(places, len(ranked)) + header):
            for cell in row:
                cell.fill = within_budget
        if places <= len(ranked):
            # The cut: a thick line under the last place within the budget (under the header
            # when there are no budget places at all).
            for cell in ws[places + header][: len(RANK_COLUMNS)]:
                cell.border = Border(bottom=cut_line)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_csv(rows: Sequence[ReportRow], texts: ReportTexts, tz: tzinfo) -> bytes:
    """Every application as CSV for a Russian Excel: UTF-8 with a BOM, ``;`` between fields.
    A text field that a spreadsheet would take for a formula is neutralised (``_csv_safe``)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_safe(texts.headers[key]) for key in ALL_COLUMNS])
    for row in rows:
        values = _values(row, texts, tz)
        writer.writerow([_csv_text(values[key], texts) for key in ALL_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _csv_text(value: object, texts: ReportTexts) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", texts.decimal_separator)
    return _csv_safe(str(value))


def _csv_safe(text: str) -> str:
    """A field Excel or LibreOffice would evaluate, led by an apostrophe.

    A CSV has no cell types: the spreadsheet decides from the text, and ``=``, ``+``, ``-``,
    ``@`` (after a tab or a carriage return too) make a formula, which may run commands
    (``=cmd|'/c calc'!A1``). A leading apostrophe is what both read as "this is text", and
    they show it, so the reader sees a visible mark and the exact value after it (OWASP's
    advice for CSV injection). Dropping or changing the characters instead would falsify
    the data; a leading space is trimmed by some importers and read as a formula again.
    Phone numbers (``+7…``) get the mark too: opened bare, Excel turned them into numbers
    and lost the plus. The Excel export needs no mark: its cells are typed as text.
    """
    return "'" + text if looks_like_formula(text) else text


# --- the chart --------------------------------------------------------------------------------


CHART_SIZE = (12, 9)  # inches, at CHART_DPI: the PNG is 1200 × 900, as Telegram shows it
CHART_DPI = 100
DAY_TICKS = 7  # at most this many dates under the per-day panel, so that none overlap
LABEL_ROOM = 1.18  # the x axis goes this far past the longest bar: its number stays inside


def render_chart(
    stats: Statistics, labels: ChartLabels, specialties: Sequence[SpecialtyInfo]
) -> bytes:
    """A PNG of ``chart_figure`` at its size."""
    out = io.BytesIO()
    chart_figure(stats, labels, specialties).savefig(out, format="png")
    return out.getvalue()


def chart_figure(
    stats: Statistics, labels: ChartLabels, specialties: Sequence[SpecialtyInfo]
) -> Figure:
    """Four panels: per specialty against the state-funded places, per day, per status, per channel;
    every text in the reader's language (``labels``) and inside the picture. Its own Figure
    with the Agg canvas, never pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    (by_specialty, by_day), (by_status, by_channel) = figure.subplots(2, 2)

    codes = [s.code for s in specialties]
    codes += sorted(set(stats.by_specialty) - set(codes))
    budget = {s.code: s.budget_places for s in specialties}
    by_specialty.set_title(labels.specialties)
    if codes:
        y = list(range(len(codes)))
        height = 0.4
        counts = [stats.by_specialty.get(c, 0) for c in codes]
        bars = by_specialty.barh(
            [i - height / 2 for i in y], counts, height=height, label=labels.applications
        )
        by_specialty.bar_label(bars, padding=2)
        by_specialty.barh(
            [i + height / 2 for i in y],
            [stats.first_priority.get(c, 0) for c in codes],
            height=height,
            label=labels.first_priority,
        )
        known = [(i, budget[c]) for i, c in zip(y, codes, strict=True) if budget.get(c) is not None]
        places = [p for _, p in known if p is not None]
        if known:
            by_specialty.scatter(
                places,
                [i for i, _ in known],
                marker="|",
                s=600,
                linewidths=3,
                color="#c00000",
                label=labels.budget_places,
                zorder=3,
            )
        by_specialty.set_yticks(y, labels=codes)
        by_specialty.invert_yaxis()
        by_specialty.legend(loc="best", fontsize="small")
        _room_for_labels(by_specialty, max([*counts, *places, 1]))
    else:
        _no_data(by_specialty, labels.no_data)

    by_day.set_title(labels.days)
    if stats.by_day:
        days = list(stats.by_day)
        by_day.bar(days, list(stats.by_day.values()), width=0.8)
        by_day.xaxis.set_major_locator(FixedLocator(date2num(_day_ticks(days[0], days[-1]))))
        by_day.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: _day_name(num2date(x).date(), labels.locale))
        )
        by_day.set_xlim(date2num(days[0]) - 0.7, date2num(days[-1]) + 0.7)
        by_day.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _no_data(by_day, labels.no_data)

    _counts(by_status, labels.statuses, STATUSES, stats.by_status, labels.status_names)
    _counts(by_channel, labels.channels, CHANNELS, stats.by_channel, labels.channel_names)
    return figure


def _day_ticks(first: date, last: date) -> list[date]:
    """At most ``DAY_TICKS`` evenly spaced days from the first to the last."""
    span = (last - first).days
    step = max(1, -(-span // (DAY_TICKS - 1))) if span else 1
    return [first + timedelta(days=n) for n in range(0, span + 1, step)]


def _day_name(day: date, locale: str) -> str:
    """«20 нояб.» / «20 Nov»: the month as the reader's language abbreviates it."""
    return format_date(day, format="d MMM", locale=locale)


def _room_for_labels(ax: Axes, largest: float) -> None:
    """The x axis long enough for the number after the longest bar, and whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(0, max(largest, 1) * LABEL_ROOM)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _counts(
    ax: Axes, title: str, keys: Sequence[str], counts: Mapping[str, int], names: Mapping[str, str]
) -> None:
    keys = [*keys, *sorted(set(counts) - set(keys))]
    ax.set_title(title)
    y = list(range(len(keys)))
    values = [counts.get(k, 0) for k in keys]
    bars = ax.barh(y, values, color="#4c72b0")
    ax.bar_label(bars, padding=2)
    ax.set_yticks(y, labels=[names.get(k, k) for k in keys])
    ax.invert_yaxis()
    _room_for_labels(ax, max([*values, 1]))


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
