"""Labels and summaries of applications, shared by the form, «My application», the staff's
cards and the notices. A leaf: it imports no router."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.applications import DOCUMENT_CHANGE, Position
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from bot.domain.telegram_text import telegram_length, truncate_utf16, utf16_length
from db.applications import Application, FieldChange, StatusChange
from handlers.ui import current_language, fmt_date, fmt_phone, fmt_score, h

# A screen shows the latest status changes only: an application withdrawn and submitted again
# for weeks must not grow its screen past Telegram's 4,096 characters.
HISTORY_SHOWN = 10
# Comments of older changes are cut to this many characters there; the latest one is whole.
OLD_COMMENT_SHOWN = 100


def status_label(status: str) -> str:
    return {
        "submitted": _("submitted"),
        "needs_correction": _("needs correction"),
        "accepted": _("documents accepted"),
        "rejected": _("rejected"),
        "enrolled": _("enrolled"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)


def document_label(kind: str) -> str:
    return {
        "passport": _("Passport (main page)"),
        "certificate": _("Education certificate with the grades insert"),
        "photo": _("Photo"),
        "medical": _("Medical certificate (form 086/u)"),
        "parent_consent": _("Consent of a parent or legal representative"),
    }.get(kind, kind)


def document_help(kind: str) -> str:
    """What to send for a document, in one or two short sentences."""
    return {
        "passport": _("The page with your photo."),
        "certificate": _(
            "The certificate and its insert with the grades: one page at a time. Not received "
            "it yet? Press «Later»."
        ),
        "photo": _("A photo of your face, as for documents (3×4)."),
        "medical": _("Your specialty needs it. You get it at your clinic; you can send it later."),
        "parent_consent": _(
            "A parent or legal representative signs it at the college (with their passport). "
            "Already signed? Send a photo. If not, press «Later»: the college will ask for it."
        ),
    }.get(kind, "")


def checklist_lines(
    wanted: Sequence[str], kinds: Iterable[str], *, sent: bool = False
) -> list[str]:
    """Each document wanted, with ✅ and its count of files or ⬜ while none is sent; then any
    other document sent. ``kinds`` has one kind per file; ``sent``: of a submitted
    application (what is missing is added from there)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    lines = [_("📎 <b>Documents</b>")]
    for kind in [*wanted, *(k for k in counts if k not in wanted)]:
        count = counts.get(kind, 0)
        if count:
            state = ngettext("{count} file", "{count} files", count).format(count=count)
            lines.append(f"✅ {document_label(kind)}: {state}")
        else:
            lines.append(f"⬜ {document_label(kind)}: " + _("not sent yet"))
    if any(not counts.get(kind) for kind in wanted):
        lines.append(
            _("Add what is missing: «📎 Add a document».")
            if sent
            else _("You can send what is missing later, from «📄 My application».")
        )
    return lines


def field_label(field: str) -> str:
    """The name of an answer, as a list of changes shows it."""
    return {
        "full_name": _("Full name"),
        "birth_date": _("Date of birth"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "education_base": _("Education"),
        "average_score": _("Average score"),
        "specialties": _("Specialties"),
        "dormitory": _("Dormitory"),
        "channel": _("How they apply"),
    }.get(field, field)


def field_value(field: str, raw: str | None) -> str:
    """A stored value of an answer as its reader writes it (escaped): «—» for none."""
    if raw is None:
        return "—"
    if field == "birth_date":
        return fmt_date(date.fromisoformat(raw))
    if field == "phone":
        return fmt_phone(raw)
    if field == "education_base":
        return base_text(int(raw))
    if field == "average_score":
        return fmt_score(raw)
    if field == "dormitory":
        return _("needed") if raw == "1" else _("not needed")
    if field == "channel":
        return channel_label(raw)
    if field == "specialties":
        return ", ".join(raw.split(","))
    return h(raw)


def change_line(change: FieldChange, *, with_values: bool = True) -> str:
    """One change: «Phone: +7 913 555-00-11 → +7 913 555-00-22», or the files added to a
    document; without values only what changed (the applicant's own list)."""
    if change.field.startswith(DOCUMENT_CHANGE):
        kind = change.field.removeprefix(DOCUMENT_CHANGE)
        count = int(change.new or 0)
        return _("Documents added: {document} ({files})").format(
            document=document_label(kind),
            files=ngettext("{count} file", "{count} files", count).format(count=count),
        )
    label = field_label(change.field)
    if not with_values:
        return label
    return _("{field}: {old} → {new}").format(
        field=label,
        old=field_value(change.field, change.old),
        new=field_value(change.field, change.new),
    )


def channel_label(channel: str) -> str:
    return {
        "bot": _("only in this bot"),
        "gosuslugi": _("also on Gosuslugi"),
        "in_person": _("also in person at the college"),
    }.get(channel, channel)


def base_text(base: int | None) -> str:
    if base == 9:
        return _("9 classes")
    if base == 11:
        return _("11 classes")
    return "—"


def specialty_line(catalog: Catalog, code: str) -> str:
    specialty = catalog.specialty(code)
    if specialty is None:
        return f"{code} · " + _("no longer offered")
    return f"{code} · {h(specialty.short_name.get(current_language()))}"


def form_of(application: Application) -> Draft:
    """The answers of an application, as the summary shows them."""
    return Draft.of_application(application)


def documents_of(application: Application) -> list[str]:
    """The kinds of an application's files, one per file."""
    return [d.kind for d in application.documents]


def summary_lines(form: Draft, catalog: Catalog) -> list[str]:
    """The applicant's answers, escaped for HTML; unanswered fields show a dash."""
    dash = "—"
    dormitory = form.dormitory
    lines = [
        _("👤 Full name: {value}").format(value=h(form.full_name or dash)),
        _("🎂 Date of birth: {value}").format(
            value=fmt_date(form.birth_date) if form.birth_date else dash
        ),
        _("📱 Phone: {value}").format(value=fmt_phone(form.phone) if form.phone else dash),
        _("✉️ E-mail: {value}").format(value=h(form.email or _("not given"))),
        _("📚 Education: {value}").format(value=base_text(form.education_base)),
        _("📊 Average score: {value}").format(
            value=fmt_score(form.average_score) if form.average_score else dash
        ),
        _("🛏 Dormitory: {value}").format(
            value=dash if dormitory is None else (_("needed") if dormitory else _("not needed"))
        ),
        _("🏛 How you apply: {value}").format(
            value=channel_label(form.channel) if form.channel else dash
        ),
        _("🎓 Specialties in order of priority:"),
    ]
    codes = form.specialties
    lines += [f"  {i}. {specialty_line(catalog, code)}" for i, code in enumerate(codes, 1)]
    if not codes:
        lines.append("  " + dash)
    return lines


def documents_lines(kinds: Iterable[str]) -> list[str]:
    """How many files of each document, given the kind of each file."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return [_("📎 Documents: none yet")]
    lines = [_("📎 Documents:")]
    lines += [
        "  "
        + ngettext("{document}: {count} file", "{document}: {count} files", n).format(
            document=document_label(k), count=n
        )
        for k, n in counts.items()
    ]
    return lines


def position_line(catalog: Catalog, position: Position) -> str:
    name = specialty_line(catalog, position.specialty_code)
    if position.place is None:
        return _("{specialty}: not in the ranking").format(specialty=name)
    places = (
        str(position.budget_places) if position.budget_places is not None else _("to be confirmed")
    )
    return _("{specialty}: you are {place} of {total}; state-funded places: {places}").format(
        specialty=name, place=position.place, total=position.total, places=places
    )


def history_line(status: str, changed_at: datetime, tz: Any, comment: str | None) -> str:
    local = changed_at.astimezone(tz)
    line = f"{fmt_date(local.date())} {local:%H:%M} — {status_label(status)}"
    if comment:
        line += f": {h(comment)}"
    return line


def history_lines(history: Sequence[StatusChange], tz: Any, room: int) -> list[str]:
    """The latest status changes, oldest first, that fit in ``room`` characters (as Telegram
    counts them), at most ``HISTORY_SHOWN``, after a line counting the earlier ones. The latest
    comment is whole, older ones are cut short."""
    room -= 60  # the line «… and K earlier changes»
    picked: list[str] = []
    for index in range(len(history) - 1, max(len(history) - HISTORY_SHOWN, 0) - 1, -1):
        change = history[index]
        comment = change.comment
        if comment and index < len(history) - 1 and utf16_length(comment) > OLD_COMMENT_SHOWN:
            comment = truncate_utf16(comment, OLD_COMMENT_SHOWN - 1) + "…"
        line = history_line(change.status, change.changed_at, tz, comment)
        room -= telegram_length(line) + 1
        if room < 0 and picked:
            break
        picked.append(line)
    earlier = len(history) - len(picked)
    lines = []
    if earlier:
        lines.append(
            ngettext("… and {count} earlier change", "… and {count} earlier changes", earlier)
            .format(count=earlier)
        )  # fmt: skip
    return lines + picked[::-1]
