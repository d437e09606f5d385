"""Catalogue versions: each load is a new row; the newest row is the current catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from db.database import Database
from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class StoredCatalog:
    id: int
    loaded_at: datetime
    source: str
    sha256: str
    document: str


_catalog = RowMapper(StoredCatalog)


class CatalogRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current_id(self) -> int | None:
        return await self.db.fetchval("SELECT max(id) FROM catalog_versions")

    async def current(self) -> StoredCatalog | None:
        return _catalog.one(
            await self.db.fetchone("SELECT * FROM catalog_versions ORDER BY id DESC LIMIT 1")
        )

    async def replace(
        self, document: str, *, source: str, sha256: str, only_if_empty: bool = False
    ) -> int | None:
        """Make ``document`` the current catalogue in one transaction.

        With ``only_if_empty`` nothing happens when a catalogue is already stored
        (two processes starting at once load the default only once).
        """
        async with self.db.transaction():
            if only_if_empty and await self.db.fetchone("SELECT 1 FROM catalog_versions LIMIT 1"):
                return None
            return await self.db.insert(
                "INSERT INTO catalog_versions (loaded_at, source, sha256, document) "
                "VALUES (?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(), source, sha256, document),
            )
