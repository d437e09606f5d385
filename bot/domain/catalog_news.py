"""What a new catalogue version tells those who pressed «Remind me» on a specialty. No aiogram.

Applicants wait for a few values that are «уточняется» today: the state-funded places and the
medical requirement of a specialty, the address of a college that teaches it, and the dates of
the admission they can apply to. When such a value becomes known, or changes, between two
versions, the followers of the specialty are told, once, in one message (rendered in
handlers/texts/catalog_news.py). A value that becomes unknown again is no news.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.catalog import Campaign, Catalog

__all__ = ["CAMPAIGN_DATES", "News", "Subject", "followers_with_news", "news_for"]

SPECIALTY_FIELDS = ("budget_places", "medical_certificate")
COLLEGE_FIELDS = ("address",)
# The dates of a campaign in the order an applicant meets them.
CAMPAIGN_DATES = (
    "acceptance_start",
    "acceptance_end_with_tests",
    "acceptance_end",
    "originals_deadline",
    "enrollment_order",
    "extra_acceptance_end",
)


class Subject(StrEnum):
    specialty = "specialty"  # key: its code
    college = "college"  # key: its id
    campaign = "campaign"  # key: its year


@dataclass(frozen=True, slots=True)
class News:
    """``field`` of the item ``key`` is now ``value`` (it was not known, or was another)."""

    subject: Subject
    key: str
    field: str
    value: int | bool | str | date


def _changed(old: object, new: object, fields: Iterable[str]) -> Iterable[tuple[str, object]]:
    for field in fields:
        after = getattr(new, field)
        before = None if old is None else getattr(old, field)
        if after is not None and after != before:
            yield field, after


def _campaign_news(old: Campaign | None, new: Campaign) -> list[News]:
    news = []
    for field, value in _changed(old, new, CAMPAIGN_DATES):
        assert isinstance(value, date)
        news.append(News(Subject.campaign, str(new.year), field, value))
    if (
        old is not None
        and new.acceptance_start_exact
        and not old.acceptance_start_exact
        and new.acceptance_start == old.acceptance_start
    ):  # the latest day the rules allow became the college's own date
        news.insert(
            0, News(Subject.campaign, str(new.year), "acceptance_start", new.acceptance_start)
        )
    return news


def news_for(old: Catalog, new: Catalog, codes: Iterable[str], today: date) -> list[News]:
    """What a follower of ``codes`` (current or former codes) learns from ``new``: the news of
    each specialty, then of the colleges teaching them, then of the admission open to them
    today (or the next one)."""
    specialties = []
    for code in codes:
        specialty = new.specialty(code)
        if specialty is not None and specialty not in specialties:
            specialties.append(specialty)
    if not specialties:
        return []
    news: list[News] = []
    colleges: list[str] = []
    for specialty in specialties:
        before = old.specialty(specialty.code)
        for code in specialty.former_codes:
            before = before or old.specialty(code)
        for field, value in _changed(before, specialty, SPECIALTY_FIELDS):
            assert isinstance(value, (int, bool))
            news.append(News(Subject.specialty, specialty.code, field, value))
        colleges += [c for c in specialty.colleges if c not in colleges]
    for college_id in colleges:
        college = new.college(college_id)
        if college is not None:
            for field, value in _changed(old.college(college_id), college, COLLEGE_FIELDS):
                assert isinstance(value, str)
                news.append(News(Subject.college, college_id, field, value))
    campaign = new.campaign_for(today)
    if campaign is not None:
        news += _campaign_news(old.campaign(campaign.year), campaign)
    return news


def followers_with_news(
    old: Catalog, new: Catalog, subscriptions: Mapping[int, Iterable[str]], today: date
) -> list[int]:
    """The users (by ``subscriptions``: user → followed codes) that ``new`` has news for."""
    return [user for user, codes in subscriptions.items() if news_for(old, new, codes, today)]
