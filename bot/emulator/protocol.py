"""The HTTP side of the Bot API: paths, request bodies, the answer envelope.

Requests are accepted as multipart/form-data (what aiogram sends), ``application/x-www-form-
urlencoded``, JSON and query strings; nested objects may be JSON-encoded strings. Answers use
Telegram's envelope (``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}``) and the HTTP status equals ``error_code``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import MultipartReader, web

from bot.emulator.entities import INT_RE
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.records import UploadedFile

JsonDict = dict[str, Any]

API_PATH_RE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)/?")
FILE_PATH_RE = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")

# Parameters that carry JSON-serialized objects/arrays (aiogram sends them as JSON strings).
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "message_ids",
        "reply_markup",
        "reply_parameters",
        "scope",
        "suggested_post_parameters",
    }
)
_INT_FIELDS = frozenset(
    {
        "cache_time",
        "chat_id",
        "direct_messages_topic_id",
        "from_chat_id",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
        "video_start_timestamp",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "has_spoiler",
        "protect_content",
        "show_alert",
        "show_caption_above_media",
    }
)


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.envelope(), status=error.error_code)


async def read_body(request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
    """Read query string + body (multipart, urlencoded or JSON) into raw params and files."""
    params: JsonDict = dict(request.query)
    files: dict[str, UploadedFile] = {}
    content_type = request.content_type
    if content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, MultipartReader) or part.name is None:
                raise bad_request("unsupported multipart body")
            data = await part.read(decode=True)
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    part.name,
                    part.filename,
                    part.headers.get("Content-Type"),
                    bytes(data),
                )
            else:
                params[part.name] = bytes(data).decode(part.get_charset("utf-8"))
    elif content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON request body") from exc
        if body is not None:
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.update(body)
    elif request.can_read_body:
        params.update(await request.post())
    return params, files


def normalize(params: JsonDict) -> JsonDict:
    """JSON-decode nested fields sent as strings and coerce int/bool scalars."""
    result: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise bad_request(f"can't parse {what} JSON object") from exc
            elif key in _INT_FIELDS and INT_RE.fullmatch(value):
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        result[key] = value
    return result
