"""Fixtures of the whole suite, and the check that no test double refused what the bot sent.

Both test doubles apply Telegram's rules (``bot.emulator.rules``): the recording session of the
handler tests and the emulator of the end-to-end tests. A request they refused is one Telegram
would refuse: the user would have seen nothing, or an apology. So a test fails when its bot
had any request refused, unless the test declares it (``fake.expect_rejections(...)``,
``bot.session.expect_rejections(...)``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
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
from bot.demo import DemoServer
from bot.emulator import FakeBotAPI, Rejection
from bot.i18n import build_i18n
from bot.middlewares import RememberAnswers
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


def _unexpected_rejections(value: object) -> list[Rejection]:
    """Refusals not declared by the test, of the test double behind a fixture value."""
    if isinstance(value, UserClient):
        value = value.bot
    if isinstance(value, Bot) and isinstance(value.session, RecordingSession):
        return value.session.unexpected_rejections()
    if isinstance(value, DemoServer):
        value = value.demo.fake
    if isinstance(value, FakeBotAPI):
        return value.unexpected_rejections()
    return []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a test passed: fail it if a test double refused a request it did not expect."""
    result = yield
    seen: set[int] = set()
    lines = []
    for value in getattr(item, "funcargs", {}).values():
        for rejection in _unexpected_rejections(value):
            if id(rejection) in seen:
                continue
            seen.add(id(rejection))
            params = json.dumps(rejection.params, ensure_ascii=False, default=repr)
            lines.append(
                f"  {rejection.method}: {rejection.error_code} {rejection.description}\n"
                f"    {params[:600]}"
            )
    if lines:
        raise AssertionError(
            "Telegram would have refused what the bot sent (a test that provokes it says so with "
            "expect_rejections()):\n" + "\n".join(lines)
        )
    return result


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
    session = RecordingSession()
    session.middleware(RememberAnswers())  # as build_bot does: the error handler relies on it
    instance = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
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
