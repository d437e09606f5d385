"""What the emulator records: requests, refusals, files, chat events, callback queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP call made to the fake (successful or not)."""

    method: str
    """Canonical method name (e.g. ``sendMessage``), or the name as sent if unknown."""
    params: JsonDict
    """Decoded parameters: JSON strings of nested fields are decoded, ints/bools coerced."""
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    error_code: int | None = None
    description: str | None = None
    injected: bool = False
    """True when the error came from :meth:`FakeBotAPI.fail_next`."""
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (``None`` error code)."""
        return self.error_code is None


@dataclass
class Rejection:
    """A request the fake refused the way Telegram would (not injected faults)."""

    method: str
    params: JsonDict
    error_code: int
    description: str
    time: float


@dataclass
class StoredFile:
    """A file known to the fake (sent by a user or uploaded by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_size: int
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"
    """What Telegram stored it as: ``photo``, ``document``, ``video``, ``audio``, ``sticker``.
    A file is sent again only as what it is (see ``FileMethods``)."""

    def read(self) -> bytes:
        """Return the content (zero bytes of ``file_size`` when none was given)."""
        return self.content if self.content is not None else bytes(self.file_size)

    def as_file(self) -> JsonDict:
        """The Telegram ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class ChatEvent:
    """Something the bot did to a message: ``sent``, ``edited`` or ``deleted``."""

    seq: int
    chat_id: int
    kind: Literal["sent", "edited", "deleted"]
    message: JsonDict
    """Snapshot of the stored message right after the event."""


@dataclass
class CallbackQueryRecord:
    """A callback query pushed by a test and, once answered, the bot's answer."""

    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answer: JsonDict | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass
class Fault:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass
class Delay:
    method: str
    seconds: float
    times: int


class RejectionWatch:
    """Which refusals a test declared it provokes (see ``expect_rejections``); shared by the
    emulator and the handler tests' recording session."""

    def __init__(self) -> None:
        self._any = False
        self._expected: list[str] = []

    def expect(self, *descriptions: str) -> None:
        """Refusals whose description contains one of ``descriptions`` are expected; with no
        argument, every refusal is."""
        if descriptions:
            self._expected.extend(descriptions)
        else:
            self._any = True

    def unexpected(self, rejected: list[Rejection]) -> list[Rejection]:
        """The refusals in ``rejected`` that no :meth:`expect` call covers."""
        if self._any:
            return []
        return [r for r in rejected if not any(part in r.description for part in self._expected)]
