"""Files the staff send to the bot (a work placement schedule, the catalogue workbook): checked for
size before anything is downloaded, then read whole into memory (a few megabytes at most)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024


async def downloaded(message: Message, bot: Bot) -> bytes | None:
    """The content of the message's document; ``None`` after telling the sender it is too big."""
    document = message.document
    assert document is not None
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.answer(_("The file is too big: at most 5 MB."))
        return None
    buffer = await bot.download(document.file_id)
    assert buffer is not None
    return buffer.read()
