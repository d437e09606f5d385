"""Catalogue versions: each load is a new row; the newest row is the current catalogue.

A version is never changed or deleted: going back to an older one adds its document again as
the newest. Each row keeps when it was made, by whom (a staff member's Telegram id; none for
the shipped default and the shell) and from what (``source``). A workbook read from Telegram
waits as a draft until its sender confirms it, and is applied only while the version it was
read against is still the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from db.database import Database
from db.outbox import enqueue_or_merge, utc
from db.rows import RowMapper

# The outbox kind of what a new version tells those who follow a specialty; ``versions`` of its
# payload lists the versions it is about (the first and the last count), one message however
# many versions were made before it went out.
CATALOG_NEWS = "catalog_news"


@dataclass(frozen=True, slots=True)
class StoredCatalog:
    id: int
    loaded_at: datetime
    source: str
    sha256: str
    document: str
    loaded_by: int | None = None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A version as the staff see it in the list: when, by whom, from what."""

    id: int
    loaded_at: datetime
    source: str
    loaded_by: int | None
    name: str | None  # the staff member's Telegram name, when they are staff (not ADMIN_IDS)


@dataclass(frozen=True, slots=True)
class CatalogDraft:
    id: int
    user_id: int
    created_at: datetime
    base_id: int
    source: str
    sha256: str
    document: str


_stored = RowMapper(StoredCatalog)
_draft = RowMapper(CatalogDraft)


class CatalogRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current_id(self) -> int | None:
        return await self.db.fetchval("SELECT max(id) FROM catalog_versions")

    async def current(self) -> StoredCatalog | None:
        row = await self.db.fetchone("SELECT * FROM catalog_versions ORDER BY id DESC LIMIT 1")
        return _stored.one(row)

    async def get(self, version_id: int) -> StoredCatalog | None:
        row = await self.db.fetchone("SELECT * FROM catalog_versions WHERE id = ?", (version_id,))
        return _stored.one(row)

    async def versions(self, limit: int = 10) -> list[VersionInfo]:
        """The newest versions first."""
        rows = await self.db.fetchall(
            "SELECT v.id, v.loaded_at, v.source, v.loaded_by, s.name FROM catalog_versions v "
            "LEFT JOIN staff s ON s.user_id = v.loaded_by ORDER BY v.id DESC LIMIT ?",
            (limit,),
        )
        return [
            VersionInfo(
                id=r["id"],
                loaded_at=datetime.fromisoformat(r["loaded_at"]),
                source=r["source"],
                loaded_by=r["loaded_by"],
                name=r["name"],
            )
            for r in rows
        ]

    async def replace(
        self,
        document: str,
        *,
        source: str,
        sha256: str,
        only_if_empty: bool = False,
        loaded_by: int | None = None,
        now: datetime | None = None,
        expected: int | None = None,
        draft_id: int | None = None,
        followers: Sequence[int] = (),
        news_due: datetime | None = None,
    ) -> int | None:
        """Make ``document`` the current catalogue in one transaction; return its version.

        With ``only_if_empty`` nothing happens when a catalogue is already stored (two
        processes starting at once load the default only once). With ``expected`` nothing
        happens unless that version is still the current one (someone else's change in the
        meantime is never overwritten unseen). ``draft_id``: the draft it comes from, deleted
        with it. ``followers``: chats told what changed (``CATALOG_NEWS``, due at
        ``news_due``), joined to a message of theirs still waiting.
        """
        now = now or datetime.now(UTC)
        async with self.db.transaction() as conn:
            cursor = await conn.execute("SELECT max(id) FROM catalog_versions")
            row = await cursor.fetchone()
            current = None if row is None else row[0]
            if only_if_empty and current is not None:
                return None
            if expected is not None and current != expected:
                return None
            cursor = await conn.execute(
                "INSERT INTO catalog_versions (loaded_at, source, sha256, document, loaded_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (utc(now), source, sha256, document, loaded_by),
            )
            version = cursor.lastrowid
            assert version is not None
            if draft_id is not None:
                await conn.execute("DELETE FROM catalog_drafts WHERE id = ?", (draft_id,))
            for chat_id in followers if current is not None else ():
                await enqueue_or_merge(
                    self.db,
                    dedup_key=f"catalog-news:{version}:{chat_id}",
                    chat_id=chat_id,
                    kind=CATALOG_NEWS,
                    payload={"topic": "catalog", "versions": [current, version]},
                    due_at=news_due or now,
                    now=now,
                    merge_on="topic",
                    append="versions",
                )
            return version

    # --- drafts ---------------------------------------------------------------------------

    async def save_draft(
        self,
        user_id: int,
        *,
        base_id: int,
        document: str,
        source: str,
        sha256: str,
        now: datetime,
    ) -> int:
        """Keep a catalogue waiting for ``user_id``'s confirmation (replacing their previous
        one); return its id."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM catalog_drafts WHERE user_id = ?", (user_id,))
            cursor = await conn.execute(
                "INSERT INTO catalog_drafts (user_id, created_at, base_id, source, sha256, "
                "document) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, utc(now), base_id, source, sha256, document),
            )
            draft_id = cursor.lastrowid
        assert draft_id is not None
        return draft_id

    async def draft(self, draft_id: int, user_id: int) -> CatalogDraft | None:
        """The draft, if it is ``user_id``'s and still waiting."""
        row = await self.db.fetchone(
            "SELECT * FROM catalog_drafts WHERE id = ? AND user_id = ?", (draft_id, user_id)
        )
        return _draft.one(row)

    async def drop_draft(self, draft_id: int, user_id: int) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM catalog_drafts WHERE id = ? AND user_id = ?", (draft_id, user_id)
            )
            == 1
        )
