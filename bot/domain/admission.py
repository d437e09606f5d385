"""Where the admission stands today, from the campaign calendar and the clock.

Every date the bot shows an applicant comes from here (or from the catalogue's campaigns
directly), never from a fixed text: what is said on 13 September differs from what is said in
May, and a year later the same words name the next campaign. No aiogram here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.catalog import Campaign, Catalog


class Phase(StrEnum):
    upcoming = "upcoming"  # acceptance has not started yet
    open = "open"  # the main acceptance of documents
    extra = "extra"  # the main acceptance is over; remaining places until the extra end
    over = "over"  # acceptance is over; originals and the enrolment order are still ahead
    closed = "closed"  # no campaign open or upcoming in the catalogue


@dataclass(frozen=True, slots=True)
class Admission:
    """The phase of the campaign an applicant deals with today, and the campaign after it."""

    phase: Phase
    campaign: Campaign | None  # None only when closed
    following: Campaign | None  # the next campaign in the catalogue, if it is there already

    @property
    def accepting(self) -> bool:
        """Whether documents are being accepted today (main or extra acceptance)."""
        return self.phase in (Phase.open, Phase.extra)


def admission_on(catalog: Catalog, today: date) -> Admission:
    campaign = catalog.campaign_for(today)
    if campaign is None:
        return Admission(Phase.closed, None, None)
    following = min(
        (c for c in catalog.campaigns if c.year > campaign.year),
        key=lambda c: c.year,
        default=None,
    )
    if today < campaign.acceptance_start:
        phase = Phase.upcoming
    elif today <= campaign.acceptance_end:
        phase = Phase.open
    elif campaign.extra_acceptance_end is not None and today <= campaign.extra_acceptance_end:
        phase = Phase.extra
    else:
        phase = Phase.over
    return Admission(phase, campaign, following)


def first_intake(catalog: Catalog) -> int:
    """The year of the cluster's first campaign (the earliest in the catalogue)."""
    return min(c.year for c in catalog.campaigns)
