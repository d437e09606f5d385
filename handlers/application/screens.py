"""The form's screens with a layout of their own (the specialties picker, the documents), its
navigation row, the cancel question and the screen of a closed admission."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.applications import document_steps
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from handlers.application_texts import document_help, document_label
from handlers.callbacks import FormAction, FormCb
from handlers.catalog_texts import choice_notes
from handlers.howto import closed_text
from handlers.ui import ask_button, current_language, home_button_row

MAX_CHOICES = 3
PRIORITY_MARKS = ("1️⃣", "2️⃣", "3️⃣")

Screen = tuple[str, InlineKeyboardMarkup]


def nav_row(builder: InlineKeyboardBuilder, *, back: bool = True, cancel: bool = True) -> None:
    if back:
        builder.button(text=_("⬅️ Back"), callback_data=FormCb(action=FormAction.back))
    if cancel:
        builder.button(text=_("✖️ Cancel"), callback_data=FormCb(action=FormAction.cancel))


def cancel_question(draft: Draft) -> Screen:
    """«Cancel» asks first. Changing a submitted application, it discards the changes only:
    the application stays as it was."""
    builder = InlineKeyboardBuilder()
    if draft.application_id is not None:
        builder.button(text=_("Yes, discard"), callback_data=FormCb(action=FormAction.cancel_yes))
        text = _(
            "Discard the changes? Your application stays as it was before you started changing it."
        )
    else:
        builder.button(text=_("Yes, cancel"), callback_data=FormCb(action=FormAction.cancel_yes))
        text = _("Cancel the application? The answers you have given will be deleted.")
    builder.button(text=_("No, continue"), callback_data=FormCb(action=FormAction.cancel_no))
    builder.adjust(2)
    return text, builder.as_markup()


def closed_screen() -> Screen:
    """No campaign is open or upcoming: nothing can be accepted; a person can still help."""
    builder = InlineKeyboardBuilder()
    ask_button(builder)
    home_button_row(builder)
    builder.adjust(1)
    return closed_text(), builder.as_markup()


def allowed_specialties(catalog: Catalog, base: int | None) -> list[str]:
    # Those whose education base is not known yet stay choosable (with the note).
    return [s.code for s in catalog.applicable_specialties(base)]


def specialties_screen(draft: Draft, catalog: Catalog, lines: list[str]) -> Screen:
    lang = current_language()
    chosen = draft.specialties
    lines += [
        ngettext(
            "<b>Choose up to {max} specialty in order of priority</b>",
            "<b>Choose up to {max} specialties in order of priority</b>",
            MAX_CHOICES,
        ).format(max=MAX_CHOICES),
        _("Press them one by one: the first is the one you want most. Press again to remove."),
    ]
    # Before the choice: which are not confirmed as the cluster's, which bases are unknown.
    lines += choice_notes(catalog.applicable_specialties(draft.education_base))
    builder = InlineKeyboardBuilder()
    codes = allowed_specialties(catalog, draft.education_base)
    for code in codes:
        specialty = catalog.specialty(code)
        assert specialty is not None
        mark = PRIORITY_MARKS[chosen.index(code)] + " " if code in chosen else ""
        builder.button(
            text=f"{mark}{code} · {specialty.short_name.get(lang)}",
            callback_data=FormCb(action=FormAction.pick, value=code),
        )
    if chosen:
        builder.button(text=_("✅ Done"), callback_data=FormCb(action=FormAction.picks_done))
    nav_row(builder)
    builder.adjust(*([1] * (len(codes) + (1 if chosen else 0))), 2)
    return "\n".join(lines), builder.as_markup()


def documents_screen(draft: Draft, catalog: Catalog, lines: list[str]) -> Screen:
    """One document: «Document n of N», what to send, «Later»; after a file the form moves on
    by itself, and «One more page» brings back the document just sent."""
    kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
    kind = draft.doc_kind if draft.doc_kind in kinds else kinds[0]
    count = draft.document_kinds().count(kind)
    lines += [
        "<i>"
        + _("Document {n} of {total}").format(n=kinds.index(kind) + 1, total=len(kinds))
        + "</i>",
        f"<b>{document_label(kind)}</b>",
        document_help(kind),
        _("Send a photo or a PDF (up to 20 MB)."),
    ]
    if count:
        lines.append(
            ngettext(
                "Received: {count} file. Send another page, or go on.",
                "Received: {count} files. Send another page, or go on.",
                count,
            ).format(count=count)
        )
    builder = InlineKeyboardBuilder()
    rows = 1
    if count:
        builder.button(text=_("➡️ Next"), callback_data=FormCb(action=FormAction.doc_done))
    else:
        builder.button(text=_("⏭ Later"), callback_data=FormCb(action=FormAction.doc_skip))
    previous = draft.last_kind
    if previous and previous != kind and previous in draft.document_kinds():
        builder.button(
            text=_("➕ One more page: {document}").format(document=document_label(previous)),
            callback_data=FormCb(action=FormAction.doc_more, value=previous),
        )
        rows += 1
    nav_row(builder)
    builder.adjust(*([1] * rows), 2)
    return "\n".join(lines), builder.as_markup()
