"""Files received in a dialogue (the form's documents, «Add a document»): what is accepted,
the caps, and what the applicant is told when a file is refused."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.clock import Clock
from bot.domain.applications import (
    ACCEPTED_MIME_TYPES,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_PAGES_PER_DOCUMENT,
    file_cap_reached,
)
from bot.domain.draft import DraftFile
from db.applications import DocumentRef
from handlers.ui import fmt_size_mb, h


def files_cap_text(cap: str) -> str:
    """Why one more file is refused: ``"kind"`` (the pages of one document) or ``"total"``."""
    if cap == "kind":
        return ngettext(
            "That is {max} file for this document already: the most it can have.",
            "That is {max} files for this document already: the most it can have.",
            MAX_PAGES_PER_DOCUMENT,
        ).format(max=MAX_PAGES_PER_DOCUMENT)
    return ngettext(
        "An application can have at most {max} file in all; it has that many already.",
        "An application can have at most {max} files in all; it has that many already.",
        MAX_FILES,
    ).format(max=MAX_FILES)


async def document_from_message(message: Message, kind: str) -> DocumentRef | None:
    """The file of a message as a document reference, or ``None`` after telling why not."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        ref = DocumentRef(kind, photo.file_id, photo.file_unique_id, "photo", photo.file_size)
    elif message.document:
        document = message.document
        mime = (document.mime_type or "").lower()
        if mime not in ACCEPTED_MIME_TYPES:
            await message.answer(
                _(
                    "This file type ({type}) is not accepted. Please send a photo, "
                    "a PDF, a JPEG or a PNG."
                ).format(type=h(mime or _("unknown")))
            )
            return None
        ref = DocumentRef(kind, document.file_id, document.file_unique_id, mime, document.file_size)
    else:
        return None
    if ref.file_size is not None and ref.file_size > MAX_FILE_BYTES:
        await message.answer(
            _(
                "The file is {size} MB, more than the 20 MB limit. Please send a smaller "
                "scan or a photo."
            ).format(size=fmt_size_mb(ref.file_size))
        )
        return None
    return ref


async def new_file(
    message: Message,
    files: Sequence[DraftFile],
    ref: DocumentRef,
    clock: Clock,
    stored: Sequence[str] = (),
) -> DraftFile | None:
    """One more file, or ``None`` after telling why not (the same file twice, a cap on files
    reached). ``files`` are those received in this dialogue, ``stored`` the kinds of those the
    application already has."""
    if any(f.file_unique_id == ref.file_unique_id for f in files):
        await message.answer(_("This file is already here."))
        return None
    cap = file_cap_reached([*stored, *(f.kind for f in files)], ref.kind)
    if cap is not None:
        await message.answer(files_cap_text(cap))
        return None
    return DraftFile.of(ref, clock.now())
