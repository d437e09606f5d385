"""The current catalogue for handlers: loaded from the database, reloaded when it changes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable

from bot.domain.catalog import Catalog, Problem, default_catalog_bytes, parse_catalog
from bot.domain.search import SearchIndex
from db.catalog import CatalogRepository

log = logging.getLogger(__name__)


class CatalogError(RuntimeError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class CatalogService:
    """Hands out the current :class:`Catalog`.

    ``python -m bot catalog load`` may replace the catalogue while the bot runs: :meth:`current`
    compares the newest version id (one indexed query), at most once every ``check_every``
    seconds (every update asks for the catalogue), and re-reads the document only when it
    changed. A catalogue loaded through this service counts at once.
    """

    def __init__(
        self,
        repo: CatalogRepository,
        *,
        check_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.check_every = check_every
        self.monotonic = monotonic
        self._cached: Catalog | None = None
        self._cached_id: int | None = None
        self._checked_at: float | None = None
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
        """Validate ``raw`` and make it current; a file with problems changes nothing."""
        catalog, problems = parse_catalog(raw)
        if catalog is None:
            return None, problems
        version = await self.repo.replace(
            catalog.to_json(), source=source, sha256=hashlib.sha256(raw).hexdigest()
        )
        self._checked_at = None  # the next call reads the new version
        return version, []

    async def current(self) -> Catalog:
        now = self.monotonic()
        if (
            self._cached is not None
            and self._checked_at is not None
            and now - self._checked_at < self.check_every
        ):
            return self._cached
        self._checked_at = now
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
