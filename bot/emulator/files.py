"""Files in the emulator: what users send, what the bot uploads, ``getFile`` and downloads.

A file is known by its ``file_id`` once a user sent it or the bot uploaded it; its bytes are kept
(or zero bytes of its size) and served at ``/file/bot<token>/<file_path>`` like Telegram does.

A ``file_id`` is sent again only as what it is: a photo with ``sendPhoto``, a document with
``sendDocument``. Telegram refuses a document's ``file_id`` in ``sendPhoto`` ("can't use file of
type Document as Photo"), even when the document is a JPEG: a bot that stores what users send must
remember which kind each file was.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
from typing import Any

from aiohttp import web

from bot.emulator.errors import ApiError, bad_request
from bot.emulator.protocol import error_response
from bot.emulator.records import StoredFile, UploadedFile
from bot.emulator.rules import GET_FILE_MAX_SIZE, UPLOAD_MAX_SIZE

JsonDict = dict[str, Any]

# Telegram's names of file types, in its "can't use file of type X as Y".
_TYPE_NAMES = {
    "photo": "Photo",
    "document": "Document",
    "video": "Video",
    "audio": "Audio",
    "sticker": "Sticker",
    "animation": "Animation",
    "voice": "VoiceNote",
}


def new_file_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(30)


def new_unique_id() -> str:
    return "AgAD" + secrets.token_urlsafe(9)


class FileMethods:
    """The file store of :class:`~bot.emulator.server.FakeBotAPI` and ``getFile``."""

    # State of the server this mixin works on (see FakeBotAPI).
    token: str
    files: dict[str, StoredFile]
    _file_numbers: itertools.count[int]

    def add_file(
        self,
        content: bytes | None,
        *,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
    ) -> StoredFile:
        """Register a file (as if uploaded to Telegram) and return it; use its ``file_id``."""
        number = next(self._file_numbers)
        prefix = {"photo": "AgAC", "sticker": "CAAC", "video": "BAAC", "audio": "CQAC"}
        extension = {"photo": ".jpg", "sticker": ".webp", "video": ".mp4", "audio": ".mp3"}
        suffix = extension.get(kind, "")
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        size = file_size if file_size is not None else len(content or b"")
        stored = StoredFile(
            file_id=new_file_id(prefix.get(kind, "BQAC")),
            file_unique_id=new_unique_id(),
            file_path=f"{kind}s/file_{number}{suffix}",
            file_size=size,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
        )
        self.files[stored.file_id] = stored
        return stored

    def _resolve_input_file(
        self,
        value: Any,
        files: dict[str, UploadedFile],
        *,
        kind: str,
    ) -> StoredFile:
        """Turn an ``InputFile``/file_id/URL parameter into a stored file."""
        if isinstance(value, UploadedFile):
            upload = value
        elif isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in files:
                raise bad_request(f"file attach://{name} not found in the request")
            upload = files[name]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            return self.add_file(None, kind=kind, file_size=4096, file_name=value.rsplit("/")[-1])
        elif isinstance(value, str) and value in self.files:
            stored = self.files[value]
            if stored.kind != kind:
                raise bad_request(
                    f"can't use file of type {_TYPE_NAMES.get(stored.kind, stored.kind)} as "
                    f"{_TYPE_NAMES.get(kind, kind)}"
                )
            return stored
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > UPLOAD_MAX_SIZE:
            raise ApiError(413, "Request Entity Too Large")
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
        return self.add_file(upload.data, kind=kind, file_name=upload.filename, mime_type=mime_type)

    def _photo_sizes(self, stored: StoredFile | None, width: int, height: int) -> list[JsonDict]:
        """PhotoSize array: a thumbnail plus the full size (``stored`` or a new file)."""
        thumb = self.add_file(None, kind="photo", file_size=1500)
        full = stored or self.add_file(None, kind="photo", file_size=width * height // 10)
        scale = 90 / max(width, height)
        return [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": thumb.file_size,
            },
            {
                "file_id": full.file_id,
                "file_unique_id": full.file_unique_id,
                "width": width,
                "height": height,
                "file_size": full.file_size,
            },
        ]

    def _media_content(self, kind: str, stored: StoredFile) -> JsonDict:
        base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if kind == "photo":
            return {"photo": self._photo_sizes(stored, 800, 600)}
        if kind == "document":
            document = {**base, "file_size": stored.file_size}
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            return {"document": document}
        if kind == "video":
            return {"video": {**base, "width": 640, "height": 360, "duration": 1}}
        return {"audio": {**base, "duration": 1}}

    def _get_file(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > GET_FILE_MAX_SIZE:
            raise bad_request("file is too big")
        return stored.as_file()

    def _handle_file(self, token: str, path: str) -> web.StreamResponse:
        if token != self.token:
            return error_response(ApiError(401, "Unauthorized"))
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.read(), content_type="application/octet-stream")
        return error_response(ApiError(404, "Not Found"))
