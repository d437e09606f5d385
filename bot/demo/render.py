"""Telegram messages as the demo page shows them: text with entities as safe HTML, keyboards,
files with a download link."""

from __future__ import annotations

import re
from html import escape
from typing import Any

JsonDict = dict[str, Any]

_SIMPLE_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "mention": ('<span class="mention">', "</span>"),
    "hashtag": ('<span class="mention">', "</span>"),
    "cashtag": ('<span class="mention">', "</span>"),
    "text_mention": ('<span class="mention">', "</span>"),
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:", "tel:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _utf16_index(text: str) -> dict[int, int]:
    """UTF-16 offset → index in ``text`` (for every character boundary)."""
    mapping = {0: 0}
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        mapping[units] = index + 1
    return mapping


def _link(href: str) -> tuple[str, str]:
    """An ``<a>`` for web, mail, phone and tg links; other schemes (``javascript:``…) are
    shown as text, never followed."""
    if _SCHEME.match(href) and not href.lower().startswith(_SAFE_SCHEMES):
        return '<span class="link">', "</span>"
    if not _SCHEME.match(href):
        href = "https://" + href
    return f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer">', "</a>"


def _open_tag(entity: JsonDict, inner: str) -> tuple[str, str]:
    kind = entity.get("type", "")
    if kind in _SIMPLE_TAGS:
        return _SIMPLE_TAGS[kind]
    if kind == "pre":
        language = entity.get("language")
        code = f' class="language-{escape(language)}"' if language else ""
        return f"<pre{code}>", "</pre>"
    if kind == "text_link":
        return _link(str(entity.get("url", "")))
    if kind == "url":
        return _link(inner)
    if kind == "email":
        return _link("mailto:" + inner)
    if kind == "phone_number":
        return _link("tel:" + inner.replace(" ", ""))
    if kind == "bot_command":
        return f'<a href="#" class="command" data-command="{escape(inner)}">', "</a>"
    return "", ""


def entities_to_html(text: str, entities: list[JsonDict] | None) -> str:
    """Plain text plus Telegram entities (UTF-16 offsets) as HTML; everything else escaped.

    Overlapping entities that do not nest are closed and reopened around each other.
    """
    if not entities:
        return escape(text)
    index = _utf16_index(text)
    spans = []
    for entity in entities:
        start = index.get(int(entity.get("offset", 0)))
        end = index.get(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if start is None or end is None or end <= start:
            continue
        spans.append((start, end, entity))
    spans.sort(key=lambda s: (s[0], -s[1]))
    points = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    out: list[str] = []
    stack: list[tuple[int, str, str]] = []  # (end, opening tag, closing tag)
    pending = list(spans)
    for position, following in zip(points, [*points[1:], None], strict=True):
        # Close what ends here; reopen what was closed only to get at it.
        if any(end == position for end, _, _ in stack):
            reopen = []
            while stack:
                item = stack.pop()
                out.append(item[2])
                if item[0] != position:
                    reopen.append(item)
            for item in reversed(reopen):
                out.append(item[1])
                stack.append(item)
        while pending and pending[0][0] == position:
            start, end, entity = pending.pop(0)
            opening, closing = _open_tag(entity, text[start:end])
            if opening:
                out.append(opening)
                stack.append((end, opening, closing))
        if following is not None:
            out.append(escape(text[position:following]))
    while stack:
        out.append(stack.pop()[2])
    return "".join(out)


def file_url(file_id: str) -> str:
    return f"/api/file/{file_id}"


def _buttons(markup: JsonDict | None) -> list[list[JsonDict]]:
    rows = (markup or {}).get("inline_keyboard") or []
    view = []
    for row in rows:
        out = []
        for button in row:
            item: JsonDict = {"text": button.get("text", "")}
            if "callback_data" in button:
                item["kind"] = "callback"
            elif "url" in button:
                item["kind"], item["url"] = "url", str(button["url"])
            elif "copy_text" in button:
                item["kind"] = "copy"
                item["copy"] = str((button["copy_text"] or {}).get("text", ""))
            else:
                item["kind"] = "other"
            out.append(item)
        view.append(out)
    return view


def message_view(record: JsonDict) -> JsonDict:
    """One stored message of the emulator as the page draws it."""
    view: JsonDict = {
        "id": record["message_id"],
        "from": "bot" if record.get("outgoing") else "user",
        "edited": bool(record.get("edited")),
        "buttons": _buttons(record.get("reply_markup")),
    }
    if "text" in record:
        view["html"] = entities_to_html(record["text"], record.get("entities"))
    elif record.get("caption"):
        view["html"] = entities_to_html(record["caption"], record.get("caption_entities"))
    if record.get("photo"):
        largest = record["photo"][-1]
        view["photo"] = {"url": file_url(largest["file_id"])}
    elif record.get("document"):
        document = record["document"]
        view["document"] = {
            "url": file_url(document["file_id"]),
            "name": document.get("file_name") or "file",
            "size": document.get("file_size") or 0,
        }
    elif record.get("contact"):
        contact = record["contact"]
        view["contact"] = {
            "name": contact.get("first_name", ""),
            "phone": contact.get("phone_number", ""),
        }
    elif record.get("sticker"):
        view["sticker"] = record["sticker"].get("emoji", "🙂")
    if "html" not in view and not any(k in view for k in ("photo", "document", "contact")):
        view.setdefault("html", "")
    return view


def reply_keyboard_view(markup: JsonDict | None) -> JsonDict | None:
    if not markup or "keyboard" not in markup:
        return None
    rows = []
    for row in markup["keyboard"]:
        out = []
        for button in row:
            button = {"text": button} if isinstance(button, str) else button
            out.append(
                {"text": button.get("text", ""), "contact": bool(button.get("request_contact"))}
            )
        rows.append(out)
    return {"rows": rows, "placeholder": markup.get("input_field_placeholder") or ""}
