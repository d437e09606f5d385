"""The current catalogue for handlers: loaded from the database, reloaded when it changes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable

from bot.domain.catalog import (
    Catalog,
    Problem,
    default_catalog_bytes,
    parse_catalog,
    validate_catalog_data,
)
from bot.domain.search import SearchIndex
from db.catalog import CatalogRepository

log = logging.getLogger(__name__)


class CatalogError(RuntimeError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class CatalogService:
    """Hands out the current :class:`Catalog`.

    ``python -m bot catalog load`` may replace the catalogue while the bot runs: every call
    to :meth:`current` compares the newest version id (one indexed query) and re-reads the
    document only when it changed.
    """

    def __init__(self, repo: CatalogRepository) -> None:
        self.repo = repo
        self._cached: Catalog | None = None
        self._cached_id: int | None = None
        self._index: SearchIndex | None = None
        self._index_of: Catalog | None = None
        self._index_lock = asyncio.Lock()

    async def ensure_loaded(self) -> bool:
        """Load the shipped default if the database has no catalogue; True if it did."""
        raw = default_catalog_bytes()
        catalog, problems = parse_catalog(raw)
        if catalog is None:
            raise CatalogError(problems)
        inserted = await self.repo.replace(
            catalog.to_json(),
            source="default",
            sha256=hashlib.sha256(raw).hexdigest(),
            only_if_empty=True,
        )
        if inserted is not None:
            log.info("loaded the default catalogue (version %s)", inserted)
        return inserted is not None

    async def load(self, raw: bytes, source: str) -> tuple[int | None, list[Problem]]:
        """Validate ``raw`` and make it current; a file with problems changes nothing.

        Events the current catalogue has and the file does not mention are kept (staff add
        events in the bot, not in the file): an event is called off by cancelling it."""
        catalog, problems = parse_catalog(raw)
        if catalog is None:
            return None, problems
        if await self.repo.current_id() is not None:
            catalog, problems = with_events_of(catalog, await self.current())
            if catalog is None:
                return None, problems
        version = await self.repo.replace(
            catalog.to_json(), source=source, sha256=hashlib.sha256(raw).hexdigest()
        )
        return version, []

    async def edit(
        self, change: Callable[[Catalog], Catalog], source: str, attempts: int = 5
    ) -> tuple[Catalog | None, list[Problem]]:
        """Apply ``change`` to the current catalogue and make the result current, validated
        whole like a file; an edit that meets a newer version (another staff member, a load)
        is made again on it. Returns the new catalogue, or ``None`` and the problems."""
        for _attempt in range(attempts):
            current_id = await self.repo.current_id()
            edited = change(await self.current())
            catalog, problems = validate_catalog_data(edited.model_dump())
            if catalog is None:
                return None, problems
            document = catalog.to_json()
            version = await self.repo.replace(
                document,
                source=source,
                sha256=hashlib.sha256(document.encode()).hexdigest(),
                only_if_current=current_id,
            )
            if version is not None:
                return await self.current(), []
        raise RuntimeError(f"the catalogue kept changing: the edit ({source}) was not saved")

    async def current(self) -> Catalog:
        current_id = await self.repo.current_id()
        if current_id is None:
            await self.ensure_loaded()
            current_id = await self.repo.current_id()
        if self._cached is None or current_id != self._cached_id:
            stored = await self.repo.current()
            assert stored is not None
            self._cached = Catalog.from_json(stored.document)
            self._cached_id = stored.id
        return self._cached

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
    return validate_catalog_data(data)
