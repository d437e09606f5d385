"""The composition root: settings → database → services → Dispatcher(**dependencies)."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from datetime import datetime, timedelta
from secrets import token_urlsafe
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.config import LOCALES, Settings
from bot.delivery.leader import LeaderElection, LeaderLock, process_owner
from bot.delivery.pacing import (
    GROUP_CHAT_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    LocalPacer,
    Pacer,
    PacingMiddleware,
    RedisPacer,
)
from bot.delivery.response_types import KeepResponseTypes
from bot.delivery.retry import RetryMiddleware
from bot.delivery.sender import OutboxSender, QuietHours
from bot.domain.reminders import Planner
from bot.i18n import build_i18n
from bot.metrics import Metrics, RetryAfterCounter, UpdateMetricsMiddleware
from bot.middlewares import (
    CatalogMiddleware,
    RememberAnswers,
    StoredLocaleMiddleware,
    TrackAnswers,
    UserIsolation,
    UserMiddleware,
)
from bot.services.broadcasts import BroadcastMonitor
from bot.services.catalog import CatalogService, prepare_database
from bot.services.digest import DigestService
from bot.services.erasure import PersonEraser, StaffPosts
from bot.services.events import EventService
from bot.services.reminders import ReminderService
from bot.services.retention import RetentionService
from bot.web import Parts, build_web_app
from db.applications import ApplicationRepository, ConsentRepository
from db.backup import make_backup, running_lock
from db.broadcasts import BroadcastRepository
from db.catalog import CatalogRepository
from db.closing import ClosingRepository
from db.database import Database
from db.digest import DigestRepository
from db.events import EventRepository
from db.fsm_storage import SQLiteStorage
from db.meta import MetaRepository
from db.outbox import OutboxRepository
from db.questions import QuestionRepository
from db.reminders import ReminderRepository
from db.reports import ReportRepository
from db.retention import RetentionRepository
from db.staff import StaffRepository
from db.staff_posts import StaffPostRepository
from db.unanswered import UnansweredRepository
from db.users import UserRepository
from handlers import get_routers
from handlers.application.keyboard import ReplyKeyboardGone
from handlers.texts.broadcast import ProgressTexts
from handlers.texts.events import EventNotices
from handlers.texts.notices import NoticeRenderer

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 20


def build_bot(
    settings: Settings, metrics: Metrics | None = None, pacer: Pacer | None = None
) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url),
        timeout=settings.telegram_timeout,
    )
    session.middleware(KeepResponseTypes())
    session.middleware(RetryMiddleware())
    session.middleware(RememberAnswers())
    if metrics is not None:
        session.middleware(RetryAfterCounter(metrics))
    if pacer is not None:
        # After the retries: each attempt takes its own slot of the shared budget, as a reply
        # (before bulk), within its chat's interval.
        session.middleware(PacingMiddleware(pacer))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_dispatcher(
    *,
    settings: Settings,
    db: Database,
    i18n: I18n,
    clock: Clock,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    metrics: Metrics | None = None,
    pacer: Pacer | None = None,
) -> Dispatcher:
    """Wire everything a handler may ask for; tests swap parts through the same keywords."""
    storage = storage or SQLiteStorage(db, clock.now)
    users = UserRepository(db)
    applications = ApplicationRepository(db)
    reminders = ReminderRepository(db)
    catalogs = CatalogService(CatalogRepository(db), reminders=reminders, clock=clock)
    broadcasts = BroadcastRepository(db)
    registrations = EventRepository(db)
    quiet_hours = QuietHours(settings.tz)
    notices = NoticeRenderer(
        i18n=i18n,
        applications=applications,
        users=users,
        catalogs=catalogs,
        settings=settings,
        reminders=reminders,
        clock=clock,
        broadcasts=broadcasts,
    )
    sender = OutboxSender(
        OutboxRepository(db),
        users,
        EventNotices(
            i18n=i18n,
            users=users,
            catalogs=catalogs,
            registrations=registrations,
            settings=settings,
            other=notices,
        ),
        clock,
        send_rate=settings.send_rate,
        quiet_hours=quiet_hours,
        max_in_flight=settings.send_max_in_flight,
        pacer=pacer,
        on_delivered=StaffPosts(StaffPostRepository(db), clock).delivered,
    )
    reminder_service = ReminderService(
        reminders, catalogs, clock, Planner(settings.tz, settings.reminder_hour)
    )
    events = EventService(
        registrations,
        catalogs,
        reminders,
        clock,
        tz=settings.tz,
        reminder_hour=settings.reminder_hour,
        quiet_hours=quiet_hours,
    )
    retention = RetentionService(
        RetentionRepository(db),
        catalogs,
        clock,
        retention_days=settings.retention_days,
        enrolled_days=settings.enrolled_retention_days,
        staff_chats=settings.staff_chats,
        users_with_drafts=getattr(storage, "users_with_drafts", None),
    )
    staff = StaffRepository(db)
    digest = DigestService(
        DigestRepository(db),
        staff,
        catalogs,
        clock,
        hour=settings.digest_hour,
        staff_chats=settings.staff_chats,
        admission_chat=settings.admission_chat_id is not None,
    )
    dp = Dispatcher(
        storage=storage,
        # Two quick clicks of one user run one after the other, never at once.
        events_isolation=events_isolation or UserIsolation(),
        settings=settings,
        db=db,
        users=users,
        catalogs=catalogs,
        clock=clock,
        applications=applications,
        eraser=PersonEraser(applications, getattr(storage, "forget_user", None), clock),
        consents=ConsentRepository(db),
        sender=sender,
        i18n=i18n,
        reminders=reminders,
        reminder_service=reminder_service,
        events=events,
        registrations=registrations,
        retention=retention,
        staff=staff,
        digest=digest,
        closing=ClosingRepository(db),
        questions=QuestionRepository(db),
        unanswered=UnansweredRepository(db),
        broadcasts=broadcasts,
        reports=ReportRepository(db),
        broadcast_monitor=BroadcastMonitor(
            broadcasts, ProgressTexts(i18n, users, catalogs, settings), clock
        ),
    )
    dp["metrics"] = metrics = metrics or Metrics()
    dp.update.outer_middleware(TrackAnswers())
    dp.update.outer_middleware(UpdateMetricsMiddleware(metrics))
    dp.update.outer_middleware(UserMiddleware(users, clock, settings.default_locale))
    dp.update.outer_middleware(CatalogMiddleware(catalogs))
    StoredLocaleMiddleware(i18n).setup(dp)
    # Every button press is answered once, after its handler: a handler sets the text or the
    # alert through its ``callback_answer`` parameter (aiogram.utils.callback_answer).
    dp.callback_query.middleware(CallbackAnswerMiddleware())
    # The phone step's reply keyboard goes once the dialogue leaves that step, whichever way.
    dp.message.outer_middleware(ReplyKeyboardGone())
    dp.callback_query.outer_middleware(ReplyKeyboardGone())
    dp.include_routers(*get_routers())
    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp


def bot_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command="start", description=i18n.gettext("Main menu")),
            BotCommand(command="menu", description=i18n.gettext("Main menu")),
            BotCommand(command="help", description=i18n.gettext("What the bot can do")),
            BotCommand(command="events", description=i18n.gettext("Open days and events")),
            BotCommand(
                command="language", description=i18n.gettext("Language: Russian or English")
            ),
            BotCommand(command="cancel", description=i18n.gettext("Stop and go back to the menu")),
            BotCommand(
                command="delete_my_data",
                description=i18n.gettext("Erase everything the bot keeps about you"),
            ),
        ]


PLAN_EVERY_MINUTES = 10
EVENTS_EVERY_MINUTES = 5  # also how late an offer from the waiting list may end
DIGEST_EVERY_MINUTES = 5
RETENTION_EVERY_HOURS = 6


class Workers:
    """The background work of the bot: the scheduler (reminder planning, retention, the staff's
    digest, backups),
    the sender and the broadcast monitor. With Redis, only the leader process runs them;
    leadership may come and go, so they can be started again after a stop."""

    def __init__(self, dispatcher: Dispatcher, settings: Settings) -> None:
        self.dp = dispatcher
        self.settings = settings
        self.scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None and bool(self.scheduler.running)

    async def start(self, bot: Bot) -> None:
        dp, settings = self.dp, self.settings
        dp["sender"].start(bot)
        dp["broadcast_monitor"].start(bot)
        # The scheduler is only the clock: what is due lives in the outbox table. It is started
        # inside the running loop, and plans once right away (catching up after downtime).
        scheduler = AsyncIOScheduler(timezone=settings.tz)
        now = datetime.now(settings.tz)
        every = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(dp["reminder_service"].scheduled, "interval",
                          minutes=PLAN_EVERY_MINUTES, id="plan-reminders", next_run_time=now,
                          **every)  # fmt: skip
        scheduler.add_job(dp["events"].scheduled, "interval", minutes=EVENTS_EVERY_MINUTES,
                          id="events", next_run_time=now, **every)  # fmt: skip
        scheduler.add_job(dp["retention"].scheduled, "interval", hours=RETENTION_EVERY_HOURS,
                          id="retention", next_run_time=now, **every)  # fmt: skip
        # The staff's digest is due at DIGEST_HOUR: checked every few minutes, queued once a day
        # (a bot down at that hour sends it when it is back).
        scheduler.add_job(dp["digest"].scheduled, "interval", minutes=DIGEST_EVERY_MINUTES,
                          id="digest", next_run_time=now, **every)  # fmt: skip
        if settings.backup_dir is not None:
            scheduler.add_job(daily_backup, "cron", hour=settings.backup_hour, args=[settings],
                              id="backup", coalesce=True, max_instances=1,
                              misfire_grace_time=3600)  # fmt: skip
        scheduler.start()
        self.scheduler = dp["scheduler"] = scheduler
        log.info("scheduler and sender started")

    async def stop(self) -> None:
        """Stop the scheduler (letting a planning or retention run finish), then the sender
        (the message in hand) and the monitor; all bounded."""
        dp = self.dp
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            try:
                await asyncio.wait_for(
                    asyncio.gather(
                        dp["reminder_service"].wait_idle(),
                        dp["events"].wait_idle(),
                        dp["retention"].wait_idle(),
                    ),
                    SHUTDOWN_GRACE_SECONDS,
                )
            except TimeoutError:
                log.warning("planning did not finish in %s s", SHUTDOWN_GRACE_SECONDS)
        await dp["sender"].stop(SHUTDOWN_GRACE_SECONDS)
        await dp["broadcast_monitor"].stop()
        log.info("scheduler and sender stopped")


async def on_startup(bot: Bot, dispatcher: Dispatcher, i18n: I18n, settings: Settings) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(bot_commands(i18n, settings.default_locale), scope=scope)
    for locale in LOCALES:
        await bot.set_my_commands(bot_commands(i18n, locale), scope=scope, language_code=locale)
    me = await bot.get_me()
    log.info("bot @%s (id %s) is up", me.username, me.id)
    if settings.admission_chat_id is None and not settings.admin_ids:
        log.warning("neither ADMISSION_CHAT_ID nor ADMIN_IDS is set: nobody sees new applications")
    workers = Workers(dispatcher, settings)
    dispatcher["workers"] = workers
    election: LeaderElection | None = dispatcher.workflow_data.get("election")
    if election is None:
        await workers.start(bot)
        return

    async def gain() -> None:
        await workers.start(bot)

    dispatcher["election_task"] = asyncio.create_task(
        election.run(gain, workers.stop), name="leader-election"
    )


async def daily_backup(settings: Settings) -> None:
    assert settings.backup_dir is not None
    try:
        await asyncio.to_thread(
            make_backup,
            settings.database_path,
            settings.backup_dir,
            settings.backup_keep,
            datetime.now(settings.tz),
        )
    except Exception:
        log.exception("the daily backup failed")


async def on_shutdown(dispatcher: Dispatcher) -> None:
    """Let handlers that are still running finish (bounded), then the background work, before
    the database closes."""
    running = [t for t in getattr(dispatcher, "_handle_update_tasks", ()) if not t.done()]
    if running:
        log.info("waiting for %d running handler(s)", len(running))
        _done, pending = await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        with suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)
    workers: Workers | None = dispatcher.workflow_data.get("workers")
    election: LeaderElection | None = dispatcher.workflow_data.get("election")
    election_task: asyncio.Task[None] | None = dispatcher.workflow_data.get("election_task")
    if election is not None and election_task is not None:
        election.stop()  # stops the workers if this process leads, then releases the lock
        await election_task
    elif workers is not None:
        await workers.stop()


async def run(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM: a webhook if WEBHOOK_URL is set, else long polling.
    Either way /healthz and /metrics are served on WEBHOOK_HOST:WEBHOOK_PORT. With REDIS_URL,
    dialogue state, event isolation and message pacing are shared by all processes, and only
    the process holding the leader lock runs the scheduler and the sender."""
    i18n = build_i18n(settings.default_locale)
    with running_lock(settings.database_path):
        db = await prepare_database(settings.database_path)
        redis = None
        try:
            metrics = Metrics()
            clock = Clock(settings.tz)
            # One pacer for the replies (the bot's middleware) and the sender: one budget.
            shared: dict[str, Any] = {"pacer": build_pacer(settings)}
            if settings.redis_url:
                from redis.asyncio import Redis

                redis = Redis.from_url(settings.redis_url)
                bot_id = settings.bot_token.get_secret_value().split(":", 1)[0]
                shared = redis_parts(settings, redis)
            bot = build_bot(settings, metrics, shared.get("pacer"))
            dp = build_dispatcher(
                settings=settings, db=db, i18n=i18n, clock=clock, metrics=metrics, **shared
            )
            if redis is not None:
                lock = LeaderLock(
                    redis, f"bot:{bot_id}:leader", process_owner(), settings.leader_ttl
                )
                dp["election"] = LeaderElection(lock)
            parts = Parts(
                meta=MetaRepository(db),
                metrics=metrics,
                clock=clock,
                scheduler_running=lambda: _workers_state(dp, "scheduler"),
                sender_running=lambda: _workers_state(dp, "sender"),
                election=dp.workflow_data.get("election"),
            )
            if settings.webhook_url:
                await run_webhook(settings, dp, bot, parts)
            else:
                await run_polling(settings, dp, bot, parts)
        finally:
            if redis is not None:
                await redis.aclose()
            await db.close()
            log.info("stopped")


def redis_parts(settings: Settings, redis: Any) -> dict[str, Any]:
    """What the processes share through Redis: dialogue state (expiring RETENTION_DAYS after
    its last change, like the SQLite drafts), event isolation and the message pacing."""
    from aiogram.fsm.storage.redis import RedisEventIsolation

    from bot.fsm_redis import DraftRedisStorage

    return {
        "storage": DraftRedisStorage(redis, ttl=timedelta(days=settings.retention_days)),
        "events_isolation": RedisEventIsolation(redis),
        "pacer": build_pacer(settings, redis),
    }


def build_pacer(settings: Settings, redis: Any = None) -> Pacer:
    """The budget of SEND_RATE messages a second and SEND_CHAT_INTERVAL per person (three
    times that per group), kept in this process, or in Redis for every process of the bot."""
    interval = settings.send_chat_interval
    intervals = (interval, interval * GROUP_CHAT_INTERVAL / PRIVATE_CHAT_INTERVAL)
    if redis is None:
        return LocalPacer(settings.send_rate, *intervals)
    bot_id = settings.bot_token.get_secret_value().split(":", 1)[0]
    return RedisPacer(redis, f"bot:{bot_id}:pace", settings.send_rate, *intervals)


def _workers_state(dp: Dispatcher, what: str) -> bool | None:
    """Whether the scheduler or the sender runs; None: another process leads (standby)."""
    election: LeaderElection | None = dp.workflow_data.get("election")
    if election is not None and not election.is_leader:
        return None
    if what == "sender":
        return bool(dp["sender"].running)
    workers: Workers | None = dp.workflow_data.get("workers")
    return workers is not None and workers.running


async def start_http(settings: Settings, app: web.Application) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(
        runner,
        settings.webhook_host,
        settings.webhook_port,
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
    )
    await site.start()
    for address in runner.addresses:
        log.info("HTTP server on %s:%s (/healthz, /metrics)", *address[:2])
    return runner


async def run_polling(settings: Settings, dp: Dispatcher, bot: Bot, parts: Parts) -> None:
    runner = await start_http(settings, build_web_app(parts))
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await dp.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        await runner.cleanup()


async def run_webhook(settings: Settings, dp: Dispatcher, bot: Bot, parts: Parts) -> None:
    """Serve the webhook; on SIGTERM stop taking updates, let those in hand finish, then the
    sender and the scheduler (bounded by SHUTDOWN_GRACE_SECONDS)."""
    assert settings.webhook_url is not None
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
    else:
        secret = await parts.meta.get_or_create("webhook_secret", lambda: token_urlsafe(32))
    app = build_web_app(parts, dp=dp, bot=bot, webhook_path=settings.webhook_path, secret=secret)
    runner = await start_http(settings, app)
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    try:
        await dp.emit_startup(bot=bot, **workflow)
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook set; serving %s", settings.webhook_path)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping: no new updates; finishing those in hand")
    finally:
        # Stops listening, then waits for the requests in flight (each is an update being
        # handled): Telegram delivers again whatever was not answered 200.
        await runner.cleanup()
        try:
            await dp.emit_shutdown(bot=bot, **workflow)
        finally:
            await bot.session.close()
