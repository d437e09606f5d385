"""The current catalogue for handlers: loaded from the database, reloaded when it changes; and
its new versions, from a TOML file, a workbook, an older version or a staff answer.

Every new version goes through :meth:`CatalogService.apply`: it is stored only while the
version it was made from is still the current one (nobody's change is overwritten unseen),
with who made it and when, and those who follow a specialty are queued one message about the
values they wait for (bot/domain/catalog_news.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.domain.catalog import Catalog, Problem, default_catalog_bytes, parse_catalog
from bot.domain.catalog import validate_catalog_data as validate
from bot.domain.catalog_news import News, followers_with_news, news_for
from bot.domain.roles import Scope
from bot.domain.search import SearchIndex
from bot.services.catalog_workbook import Change, WorkbookProblem, diff, outside_college
from bot.services.catalog_workbook import read_workbook as read_workbook_bytes
from db.catalog import CatalogRepository, VersionInfo
from db.database import Database
from db.reminders import ReminderRepository

log = logging.getLogger(__name__)

# A follower's message waits this long for the versions that follow (a correction made right
# after): one message about where the values ended up, not one a version.
NEWS_DELAY = timedelta(minutes=10)

# How a version came about (``catalog_versions.source``): these prefixes and a detail, or the
# path of a file loaded from the shell, or "default".
FROM_WORKBOOK = "workbook:"  # the file's name
FROM_VERSION = "version:"  # the version gone back to
FROM_ANSWER = "answer:"  # the question whose answer became an FAQ entry

# The English side of an FAQ entry kept in Russian only: the reader is told so.
RUSSIAN_ONLY = "This answer is available in Russian only for now."


class CatalogError(RuntimeError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class Refusal(StrEnum):
    gone = "gone"  # the draft was applied or cancelled already
    stale = "stale"  # the catalogue changed since the draft was read
    refused = "refused"  # changes outside what the member may change


@dataclass(frozen=True, slots=True)
class Edit:
    """A catalogue read from a workbook (or an older version), against the current one."""

    base_id: int
    base: Catalog
    catalog: Catalog | None  # None: ``problems`` say why
    problems: list[WorkbookProblem]
    changes: list[Change]
    refused: list[Change]  # the changes outside what the member may change


def checksum(content: bytes | str) -> str:
    return hashlib.sha256(content.encode() if isinstance(content, str) else content).hexdigest()


def refused_changes(
    scope: Scope | None, changes: Sequence[Change], old: Catalog, new: Catalog
) -> list[Change]:
    """The changes ``scope`` may not make (``None``: the shell, which may make any).

    Administrators change anything; staff of a college its own row and the specialties it
    teaches (``outside_college``); staff of every college what staff of any college may (the
    campaign dates and the FAQ stay the administrators')."""
    if scope is None or scope.admin:
        return []
    if scope.college_id is not None:
        return outside_college(list(changes), old, new, scope.college_id)
    colleges = {c.id for c in (*old.colleges, *new.colleges)}
    outside = [set(outside_college(list(changes), old, new, c)) for c in colleges]
    return [change for change in changes if all(change in out for out in outside)]


def has_faq_question(catalog: Catalog, question: str) -> bool:
    """Whether an FAQ entry asks ``question`` already (case and spaces aside): the workbook
    tells entries apart by their Russian question."""

    def key(text: str) -> str:
        return " ".join(text.casefold().replace("ё", "е").split())

    return any(key(entry.question.ru) == key(question) for entry in catalog.faq)


class CatalogService:
    """Hands out the current :class:`Catalog`, and makes new versions.

    ``python -m bot catalog load`` may replace the catalogue while the bot runs: :meth:`current`
    compares the newest version id (one indexed query), at most once every ``check_every``
    seconds (every update asks for the catalogue), and re-reads the document only when it
    changed; a version made through this service counts at once, and every new version is
    made from :meth:`current_version`, which always checks. With ``reminders`` and ``clock`` a
    new version tells the followers of a specialty what became known (without them, as when
    the database is prepared, nobody is told).
    """

    def __init__(
        self,
        repo: CatalogRepository,
        *,
        reminders: ReminderRepository | None = None,
        clock: Clock | None = None,
        check_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.reminders = reminders
        self.clock = clock
        self.check_every = check_every
        self.monotonic = monotonic
        self._cached: Catalog | None = None
        self._cached_id: int | None = None
        self._checked_at: float | None = None
        self._index: SearchIndex | None = None
        self._index_of: Catalog | None = None
        self._index_lock = asyncio.Lock()

    def _now(self) -> datetime:
        return self.clock.now() if self.clock else datetime.now(UTC)

    async def ensure_loaded(self) -> bool:
        """Load the shipped default if the database has no catalogue; True if it did."""
        raw = default_catalog_bytes()
        catalog, problems = parse_catalog(raw)
        if catalog is None:
            raise CatalogError(problems)
        inserted = await self.repo.replace(
            catalog.to_json(), source="default", sha256=checksum(raw), only_if_empty=True
        )
        if inserted is not None:
            log.info("loaded the default catalogue (version %s)", inserted)
        return inserted is not None

    async def load(
        self, raw: bytes, source: str, by: int | None = None
    ) -> tuple[int | None, list[Problem]]:
        """Validate a TOML file and make it current; a file with problems changes nothing.

        Events the current catalogue has and the file does not mention are kept (staff add
        events in the bot, not in the file): an event is called off by cancelling it."""
        catalog, problems = parse_catalog(raw)
        if catalog is None:
            return None, problems
        base_id, base = await self.current_version()
        catalog, problems = with_events_of(catalog, base)
        if catalog is None:
            return None, problems
        version = await self.apply(
            catalog, base_id=base_id, base=base, source=source, sha256=checksum(raw), by=by
        )
        if version is None:
            return None, [Problem("", "the catalogue changed meanwhile: load the file again")]
        return version, []

    async def edit(
        self,
        change: Callable[[Catalog], Catalog],
        source: str,
        by: int | None = None,
        attempts: int = 5,
    ) -> tuple[Catalog | None, list[Problem]]:
        """Apply ``change`` to the current catalogue and make the result current, validated
        whole like a file; an edit that meets a newer version (another staff member, a load)
        is made again on it. Returns the new catalogue, or ``None`` and the problems."""
        for _attempt in range(attempts):
            base_id, base = await self.current_version()
            catalog, problems = validate(change(base).model_dump())
            if catalog is None:
                return None, problems
            version = await self.apply(catalog, base_id=base_id, base=base, source=source, by=by)
            if version is not None:
                return await self.current(), []
        raise RuntimeError(f"the catalogue kept changing: the edit ({source}) was not saved")

    async def current(self) -> Catalog:
        now = self.monotonic()
        if (
            self._cached is not None
            and self._checked_at is not None
            and now - self._checked_at < self.check_every
        ):
            return self._cached
        return (await self.current_version())[1]

    async def current_version(self) -> tuple[int, Catalog]:
        """The current catalogue and its version, checked in the database now."""
        self._checked_at = self.monotonic()
        current_id = await self.repo.current_id()
        if current_id is None:
            await self.ensure_loaded()
            current_id = await self.repo.current_id()
        if self._cached is None or current_id != self._cached_id:
            stored = await self.repo.current()
            assert stored is not None
            self._cached = Catalog.from_json(stored.document)
            self._cached_id = stored.id
        assert self._cached_id is not None
        return self._cached_id, self._cached

    async def version(self, version_id: int) -> Catalog | None:
        stored = await self.repo.get(version_id)
        return None if stored is None else Catalog.from_json(stored.document)

    async def versions(self, limit: int = 10) -> list[VersionInfo]:
        return await self.repo.versions(limit)

    async def apply(
        self,
        catalog: Catalog,
        *,
        base_id: int,
        base: Catalog,
        source: str,
        by: int | None,
        sha256: str | None = None,
        draft_id: int | None = None,
    ) -> int | None:
        """Make ``catalog`` (made from ``base``, version ``base_id``) the current catalogue;
        ``None`` when ``base_id`` is no longer the current version (nothing is changed)."""
        document = catalog.to_json()
        followers: list[int] = []
        if self.reminders is not None and self.clock is not None:
            subscriptions = await self.reminders.subscriptions()
            followers = followers_with_news(base, catalog, subscriptions, self.clock.today())
        now = self._now()
        version = await self.repo.replace(
            document,
            source=source,
            sha256=sha256 or checksum(document),
            loaded_by=by,
            now=now,
            expected=base_id,
            draft_id=draft_id,
            followers=followers,
            news_due=now + NEWS_DELAY,
        )
        if version is not None:
            self._checked_at = None  # the next call reads the new version
            log.info(
                "catalogue version %s made by %s from %s; %d follower(s) to tell",
                version,
                by if by is not None else "the shell",
                source,
                len(followers),
            )
        return version

    # --- edits: a workbook, an older version ----------------------------------------------

    def _edit(
        self, scope: Scope | None, base_id: int, base: Catalog, catalog: Catalog | None,
        problems: list[WorkbookProblem],
    ) -> Edit:  # fmt: skip
        changes = diff(base, catalog) if catalog is not None else []
        refused = refused_changes(scope, changes, base, catalog) if catalog is not None else []
        return Edit(base_id, base, catalog, problems, changes, refused)

    async def read_workbook(self, content: bytes, scope: Scope | None) -> Edit:
        """An uploaded workbook read whole against the current catalogue, off the event loop
        (reading a workbook takes a moment; the reading itself is bounded)."""
        base_id, base = await self.current_version()
        catalog, problems = await asyncio.to_thread(read_workbook_bytes, content, base)
        return self._edit(scope, base_id, base, catalog, problems)

    async def older(self, version_id: int, scope: Scope | None) -> Edit | None:
        """Going back to ``version_id``: what would change; None if there is no such version."""
        catalog = await self.version(version_id)
        if catalog is None:
            return None
        base_id, base = await self.current_version()
        # Events are kept as they are now: going back never drops an event people registered
        # for (an event is called off by cancelling it).
        with_events, problems = with_events_of(catalog, base)
        if with_events is None:
            found = [WorkbookProblem("", 0, "", str(p)) for p in problems]
            return self._edit(scope, base_id, base, None, found)
        return self._edit(scope, base_id, base, with_events, [])

    async def save_draft(self, edit: Edit, user_id: int, source: str, sha256: str) -> int:
        assert edit.catalog is not None
        return await self.repo.save_draft(
            user_id,
            base_id=edit.base_id,
            document=edit.catalog.to_json(),
            source=source,
            sha256=sha256,
            now=self._now(),
        )

    async def drop_draft(self, draft_id: int, user_id: int) -> bool:
        return await self.repo.drop_draft(draft_id, user_id)

    async def apply_draft(
        self, draft_id: int, user_id: int, scope: Scope | None
    ) -> tuple[int | None, Refusal | None]:
        """Apply ``user_id``'s draft: its version, or why not. The member's scope is checked
        again (it may have changed since the file was read)."""
        draft = await self.repo.draft(draft_id, user_id)
        if draft is None:
            return None, Refusal.gone
        base_id, base = await self.current_version()
        if draft.base_id != base_id:
            return None, Refusal.stale
        catalog = Catalog.from_json(draft.document)
        if refused_changes(scope, diff(base, catalog), base, catalog):
            return None, Refusal.refused
        version = await self.apply(
            catalog,
            base_id=base_id,
            base=base,
            source=draft.source,
            by=user_id,
            sha256=draft.sha256,
            draft_id=draft.id,
        )
        return (version, None) if version is not None else (None, Refusal.stale)

    # --- an FAQ entry from a staff answer ---------------------------------------------------

    async def add_faq(
        self, question: dict[str, str], answer: dict[str, str], *, source: str, origin: str,
        by: int,
    ) -> tuple[int | None, list[Problem]]:  # fmt: skip
        """A new FAQ entry (``question`` and ``answer``: text by language) in a new version;
        its version, or the problems of the entry. Made anew on the newest version if another
        one came first (an entry added changes nothing else)."""
        entry: dict[str, Any] = {"question": question, "answer": answer, "source": source}
        for _attempt in range(3):
            base_id, base = await self.current_version()
            data = base.model_dump()
            data["faq"].append(entry)
            catalog, problems = validate(data)
            if catalog is None:
                return None, problems
            version = await self.apply(catalog, base_id=base_id, base=base, source=origin, by=by)
            if version is not None:
                return version, []
        return None, [Problem("", "the catalogue keeps changing: try again")]

    # --- what a follower is told ------------------------------------------------------------

    async def news(self, user_id: int, versions: Sequence[int]) -> tuple[list[News], Catalog]:
        """What ``user_id`` learns, by what they follow now, from the first of ``versions``
        (the catalogue before the message was queued) to the current catalogue: what is true
        when the message goes out, however many versions came meanwhile."""
        current = await self.current()
        first = await self.version(versions[0]) if versions else None
        if first is None or self.reminders is None or self.clock is None:
            return [], current
        codes = await self.reminders.followed(user_id)
        return news_for(first, current, codes, self.clock.today()), current

    # --- search -----------------------------------------------------------------------------

    async def search_index(self, catalog: Catalog) -> SearchIndex:
        """The search over ``catalog`` (the one :meth:`current` gave): built once per
        catalogue version, in a worker thread (it takes a moment), never per update."""
        async with self._index_lock:
            if self._index is None or self._index_of is not catalog:
                self._index = await asyncio.to_thread(SearchIndex, catalog)
                self._index_of = catalog
                log.info("search index built for catalogue version %s", self._cached_id)
            return self._index


def with_events_of(catalog: Catalog, current: Catalog) -> tuple[Catalog | None, list[Problem]]:
    """``catalog`` with the events of ``current`` it does not mention, validated whole."""
    missing = [event for event in current.events if catalog.event(event.id) is None]
    if not missing:
        return catalog, []
    data = catalog.model_dump()
    data["events"] = [*data["events"], *(event.model_dump() for event in missing)]
    return validate(data)


async def prepare_database(path: str | Path) -> Database:
    """Open the database, bring its schema up to date and make sure a catalogue is loaded (the
    shipped one on a fresh install). Loads no aiogram: the shell's catalogue commands use it."""
    db = Database(path)
    await db.connect()
    try:
        await db.migrate()
        await CatalogService(CatalogRepository(db)).ensure_loaded()
    except BaseException:
        await db.close()
        raise
    return db
