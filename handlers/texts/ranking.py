"""A ranking list as messages: the staff's view (handlers/staff/reports.py) and the list as
published to the applicants (handlers/ranking.py). Application numbers, never names."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from aiogram.utils.i18n import gettext as _

from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from bot.services.reports import chunk_lines
from handlers.ui import fmt_number, fmt_score

RANKING_MESSAGES = 5  # a longer list is cut (the staff have the whole one in the Excel file)


class Ranked(Protocol):
    """A line of a ranking: a live one (``RankingEntry``) or a published one."""

    @property
    def application_id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def average_score(self) -> Decimal: ...
    @property
    def original_received(self) -> bool: ...


def places_text(places: int | None) -> str:
    return _("to be confirmed") if places is None else str(places)


def ranking_messages(
    heading: Sequence[str],
    ranking: Sequence[Ranked],
    places: int | None,
    note: str,
    mine: int | None = None,
) -> list[str]:
    """The list as message texts under Telegram's limit, after ``heading``: place, number,
    score, ✓ for the original, the state-funded places line after the last place within them, «←»
    at the reader's own application (``mine``). Past ``RANKING_MESSAGES`` it is cut, with
    ``note`` at the end."""
    lines = [*heading, ""]
    if places == 0:
        lines.append(_("— state-funded places: {places} —").format(places=places))
    for place, entry in enumerate(ranking, start=1):
        mark = " ✓" if entry.original_received else ""
        line = f"{place}. {fmt_number(entry.number)} — {fmt_score(entry.average_score)}{mark}"
        if entry.application_id == mine:
            line = "<b>" + line + "</b> " + _("← you")
        lines.append(line)
        if place == places:
            lines.append(_("— state-funded places: {places} —").format(places=places))
    if ranking:
        lines += ["", _("✓ the original certificate is received")]
    else:
        lines.append(_("No applications yet."))
    chunks = chunk_lines(lines, MESSAGE_LIMIT - telegram_length(note) - 1)
    if len(chunks) > RANKING_MESSAGES:
        chunks = chunks[:RANKING_MESSAGES]
        chunks[-1] += "\n" + note
    return chunks
