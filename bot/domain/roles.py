"""Who may do what among the admission staff. No aiogram here.

Administrators are the ids in ``ADMIN_IDS``: staff of every college who may also grant and
revoke the staff role. Staff granted by an invite see either every college or one college;
staff of one college see only applications that choose at least one of its specialties.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Scope:
    """What a staff member may see: ``college_id`` None means every college."""

    user_id: int
    college_id: str | None
    admin: bool = False

    def specialty_codes(self, catalog: Catalog) -> frozenset[str] | None:
        """The specialties whose applications this member sees (an application made under a
        code since replaced too); None: all of them."""
        if self.college_id is None:
            return None
        return frozenset(code for s in catalog.specialties_of(self.college_id) for code in s.codes)

    def sees(self, catalog: Catalog, chosen: tuple[str, ...] | list[str]) -> bool:
        """Whether an application choosing ``chosen`` specialties is visible to this member."""
        codes = self.specialty_codes(catalog)
        return codes is None or any(code in codes for code in chosen)

    def sees_asker(self, catalog: Catalog, chosen: tuple[str, ...] | list[str] | None) -> bool:
        """Whether a question is visible to this member, its asker's application choosing
        ``chosen`` (None: the asker has no application; such questions are everyone's).
        The rule of ``db.questions.visible_clause``."""
        return chosen is None or self.sees(catalog, chosen)

    def sees_college(self, college_id: str) -> bool:
        """Whether this member sees the people of ``college_id`` (e.g. its students)."""
        return self.college_id is None or self.college_id == college_id
