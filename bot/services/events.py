"""Events at work: registrations and the waiting list over the repository, the staff's edits
of the catalogue's events, and the job that keeps it all current.

The job (:meth:`EventService.tick`, every few minutes and once at start) tells a change of an
event to everyone registered once (whoever changed it: the staff in the bot, a workbook, a
file), ends offers not taken in time and offers their seats to the next in line, offers seats
freed otherwise (more seats, an erasure), and plans the two reminders of each seat.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.clock import Clock
from bot.delivery.sender import QuietHours
from bot.domain.catalog import Catalog, Event, Problem
from bot.domain.events import facts, instant, local_now, offer, plan_reminders
from bot.services.catalog import CatalogService
from bot.services.reports import sheet_title, write_table
from db.events import EventRepository, Registration, SeatOffer
from db.reminders import ReminderRepository

log = logging.getLogger(__name__)


class RegistrationClosed(Exception):
    """The event takes no registrations (cancelled, over, past its deadline)."""


def new_token() -> str:
    """A personal check-in code: 20 hex digits, unguessable."""
    return secrets.token_hex(10)


def new_event_id(catalog: Catalog, start: datetime) -> str:
    """An id for an event created in the bot: its date and a number, ``20270314-1``."""
    taken = {event.id for event in catalog.events}
    n = 1
    while f"{start:%Y%m%d}-{n}" in taken:
        n += 1
    return f"{start:%Y%m%d}-{n}"


class EventService:
    def __init__(
        self,
        repo: EventRepository,
        catalogs: CatalogService,
        reminders: ReminderRepository,
        clock: Clock,
        *,
        tz: ZoneInfo,
        reminder_hour: int,
        quiet_hours: QuietHours | None,
    ) -> None:
        self.repo = repo
        self.catalogs = catalogs
        self.reminders = reminders
        self.clock = clock
        self.tz = tz
        self.reminder_hour = reminder_hour
        self.quiet_hours = quiet_hours
        self._lock = asyncio.Lock()
        self._running: asyncio.Future[None] | None = None

    def local_now(self) -> datetime:
        return local_now(self.clock.now(), self.tz)

    def starts_at(self, event: Event) -> datetime:
        return instant(event.start, self.tz)

    def _offer(self, event: Event | None) -> SeatOffer | None:
        """How a seat of ``event`` freed now is offered; None when it is not (over,
        cancelled, gone)."""
        if event is None or event.cancelled:
            return None
        now = self.clock.now()
        quiet_end = self.quiet_hours.resume_at(now) if self.quiet_hours else None
        return offer(now, self.starts_at(event), quiet_end)

    # --- the applicant's side -----------------------------------------------------------

    async def register(
        self, event: Event, user_id: int, full_name: str, phone: str
    ) -> tuple[Registration, bool]:
        if not event.open_for_registration(self.local_now()):
            raise RegistrationClosed(event.id)
        return await self.repo.register(
            facts(event, self.tz),
            user_id=user_id,
            full_name=full_name,
            phone=phone,
            token=new_token(),
            now=self.clock.now(),
        )

    async def cancel(
        self, catalog: Catalog, user_id: int, registration_id: int, *, only_offered: bool = False
    ) -> Registration | None:
        """Cancel a registration (or decline an offered seat); its seat goes to the next."""
        registration = await self.repo.get(registration_id)
        if registration is None:
            return None
        event = catalog.event(registration.event_id)
        return await self.repo.cancel(
            registration_id,
            user_id,
            seats=event.seats if event else None,
            offer=self._offer(event),
            only_offered=only_offered,
        )

    async def confirm(self, user_id: int, registration_id: int) -> bool:
        return await self.repo.confirm(registration_id, user_id, self.clock.now())

    # --- the staff's side ---------------------------------------------------------------

    async def save_event(self, event: Event, source: str) -> tuple[Catalog | None, list[Problem]]:
        """Add ``event`` to the catalogue, or replace the one with its id; everyone registered
        is told of what changed for them."""

        def change(catalog: Catalog) -> Catalog:
            events = list(catalog.events)
            index = next((i for i, e in enumerate(events) if e.id == event.id), None)
            if index is None:
                events.append(event)
            else:
                events[index] = event
            return catalog.model_copy(update={"events": events})

        catalog, problems = await self.catalogs.edit(change, source)
        if catalog is not None:
            await self.tick(catalog)
        return catalog, problems

    # --- the job ------------------------------------------------------------------------

    async def tick(self, catalog: Catalog | None = None) -> None:
        async with self._lock:
            await self._tick(catalog or await self.catalogs.current())

    async def _tick(self, catalog: Catalog) -> None:
        now = self.clock.now()
        told = await self.repo.sync([facts(e, self.tz) for e in catalog.events], now)
        if told:
            log.info("events: %d notice(s) of changed or cancelled events queued", told)
        freed = set(await self.repo.expire_offers(now))
        freed |= set(await self.repo.with_free_seats())
        for event_id in sorted(freed):
            event = catalog.event(event_id)
            if event is not None:
                await self.repo.fill(event_id, event.seats, self._offer(event))
        events = {e.id: e for e in catalog.events}
        planned = plan_reminders(
            now, self.tz, self.reminder_hour, events, await self.repo.seated(now)
        )
        added = await self.reminders.enqueue_all(planned, now)
        if added:
            log.info("events: planned %d reminder(s)", added)

    async def scheduled(self) -> None:
        """The scheduler's job: a failure is logged and tried again next time; stopping the
        scheduler lets a run finish (the shutdown waits for it)."""
        self._running = asyncio.ensure_future(self.tick())
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            log.info("the scheduler stops; the events job finishes first")
        except Exception:
            log.exception("the events job failed; the next run will try again")

    async def wait_idle(self) -> None:
        if self._running is not None:
            await asyncio.wait([self._running])
        async with self._lock:
            pass


# --- the staff's Excel file ------------------------------------------------------------------

REGISTRATION_COLUMNS = (
    "place",
    "status",
    "full_name",
    "phone",
    "registered_at",
    "seated_at",
    "attended_at",
)


def registrations_xlsx(
    sheet: str,
    registrations: Sequence[Registration],
    headers: Mapping[str, str],
    statuses: Mapping[str, str],
    tz: ZoneInfo,
) -> bytes:
    """Everyone registered for an event (seats first, then the waiting list in its order) as
    an .xlsx file; cells typed by people stay text (formula-safe, bot/services/reports.py)."""

    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet_title(sheet, set())
    records = [
        {
            "place": index,
            "status": statuses.get(registration.status, registration.status),
            "full_name": registration.full_name,
            "phone": registration.phone,
            "registered_at": local(registration.created_at),
            "seated_at": local(registration.seated_at),
            "attended_at": local(registration.attended_at),
        }
        for index, registration in enumerate(registrations, start=1)
    ]
    write_table(ws, REGISTRATION_COLUMNS, headers, records)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
