"""Time in one place: instants in UTC, dates and deadlines in the cluster's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in the cluster's time zone (Norilsk, not the server's)."""
        return self.now().astimezone(self.tz).date()
