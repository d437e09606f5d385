from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher, prepare_database
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import build_i18n
from db.database import Database
from tests.client import UserClient
from tests.helpers import fill_form, submit
from tests.recording import RecordingSession

TOKEN = "123456:TEST-token"


def pytest_sessionstart(session: pytest.Session) -> None:
    """pytest's own log capture (``caplog``, the logs shown with a failure, ``--log-file``)
    hides the token as the bot's log does: the same filter on each of its handlers."""
    from bot.log_redaction import SecretFilter

    plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    redact = SecretFilter([TOKEN])
    for name in ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler"):
        handler = getattr(plugin, name, None)
        if handler is not None:
            handler.addFilter(redact)


class FixedClock(Clock):
    """A clock the test sets; dates are in the cluster's zone like the real one."""

    def __init__(self, now: datetime) -> None:
        settings_tz = Settings.model_fields["timezone"].default
        from zoneinfo import ZoneInfo

        super().__init__(ZoneInfo(settings_tz))
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set_local_date(self, day: date) -> None:
        self.current = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return build_i18n("ru")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        bot_token=TOKEN,
        database_path=tmp_path / "bot.sqlite3",
        admin_ids="1",
        _env_file=None,
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await prepare_database(settings.database_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 5, 0, tzinfo=UTC))


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    instance = Bot(
        TOKEN, session=RecordingSession(), default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield instance
    await instance.session.close()


@pytest.fixture
def dp(settings: Settings, db: Database, i18n: I18n, clock: FixedClock) -> Dispatcher:
    return build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock)


@pytest.fixture
def user(dp: Dispatcher, bot: Bot) -> UserClient:
    return UserClient(dp, bot, user_id=1001, language_code="ru")


@pytest.fixture
def english_user(dp: Dispatcher, bot: Bot) -> UserClient:
    return UserClient(dp, bot, user_id=1002, language_code="en-GB")


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot) -> UserClient:
    """An administrator (ADMIN_IDS=1 in ``settings``) who reads English."""
    return UserClient(dp, bot, user_id=1, language_code="en")


@pytest.fixture
async def applied(english_user: UserClient) -> UserClient:
    """The English applicant, with an application submitted (М-2027-0001)."""
    await submit(english_user, await fill_form(english_user))
    return english_user


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real redis-server on a free port for the whole session; its URL. Fails (never skips)
    without the binary: ``apt-get install redis-server``."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    request.addfinalizer(server.stop)
    server.start()
    return server.url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis server, emptied for this test."""
    from tests.redis_server import flush

    flush(redis_server)
    return redis_server
