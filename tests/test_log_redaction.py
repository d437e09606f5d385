"""The bot token never reaches the log: not in a message, a traceback or an extra field, in
text or JSON, whatever the library that raised."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.cli import log_handler
from bot.emulator import FakeBotAPI
from bot.log_redaction import REDACTED, SecretFilter, secret_forms
from tests.conftest import TOKEN as TEST_TOKEN

BOT_ID = "7012345678"
SECRET = "AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"  # the shape of a real token's secret part
TOKEN = f"{BOT_ID}:{SECRET}"


def leaks(output: str) -> list[str]:
    """The forms of the token found in ``output``."""
    forms = [TOKEN, quote(TOKEN, safe=""), quote(TOKEN, safe="").lower(), SECRET]
    return [form for form in forms if form in output or form.lower() in output.lower()]


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of its own that does not reach the root (nor pytest's handlers)."""
    instance = logging.getLogger("tests.redaction")
    instance.propagate = False
    instance.setLevel(logging.DEBUG)
    yield instance
    for handler in list(instance.handlers):
        instance.removeHandler(handler)
    instance.propagate = True


async def a_failed_download() -> aiohttp.ClientResponseError:
    """What aiogram raises when a file download fails: aiohttp's error, whose text and
    traceback carry the address ``…/file/bot<TOKEN>/…``."""
    async with FakeBotAPI(token=TOKEN) as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(TOKEN, session=session)
        try:
            await bot.download_file("documents/file_404.pdf")
        except aiohttp.ClientResponseError as error:
            return error
        finally:
            await bot.session.close()
    raise AssertionError("the download did not fail")


def log_everything(logger: logging.Logger, error: BaseException) -> None:
    """Every way a token gets into a record: the message, its arguments, the traceback (also
    of a chained exception), an extra field, the URL-encoded and the split forms."""
    try:
        try:
            raise error
        except aiohttp.ClientResponseError as inner:
            raise RuntimeError(f"download of {inner.request_info.real_url} failed") from inner
    except RuntimeError:
        logger.exception("update 7 failed: %s", error)
    logger.error("the address was %s", quote(f"https://api.telegram.org/bot{TOKEN}/x", safe=""))
    logger.warning("bot %s, secret %s", BOT_ID, SECRET)
    logger.info("a request", extra={"url": f"https://api.telegram.org/bot{TOKEN}/getMe"})
    logger.info("bad arguments %s %s", TOKEN)  # a message that cannot be formatted


@pytest.mark.parametrize("form", ["text", "json"])
async def test_the_token_never_reaches_the_log(logger: logging.Logger, form: str) -> None:
    error = await a_failed_download()
    assert TOKEN in str(error)  # the leak this guards against is real
    stream = io.StringIO()
    logger.addHandler(log_handler(form, [TOKEN], stream))
    log_everything(logger, error)
    output = stream.getvalue()
    assert leaks(output) == [], output
    assert output.count(REDACTED) >= 6
    assert "ClientResponseError" in output and "Traceback" in output  # the traceback is kept
    assert "/file/bot<redacted>/documents/file_404.pdf" in output
    if form == "json":
        records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert len(records) == 5
        assert "ClientResponseError" in records[0]["exc_info"]
        assert records[3]["url"] == "https://api.telegram.org/bot<redacted>/getMe"


def test_the_bot_process_logs_a_crash_without_the_token(tmp_path: Path) -> None:
    """The real command line, in JSON: an error escaping the bot is logged, redacted."""
    code = (
        "import sys, types\n"
        "async def crash(settings):\n"
        "    raise RuntimeError(f'cannot reach https://api.telegram.org/bot{settings.bot_token"
        ".get_secret_value()}/getMe')\n"
        "sys.modules['bot.app'] = types.SimpleNamespace(run=crash)  # the bot, crashing at once\n"
        "from bot.cli import main\n"
        "sys.exit(main([]))\n"
    )
    env = {
        "BOT_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert leaks(done.stderr + done.stdout) == [], done.stderr
    [record] = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["message"] == "the bot stopped on an error"
    assert (
        "RuntimeError: cannot reach https://api.telegram.org/bot<redacted>/getMe"
        in (record["exc_info"])
    )


def test_the_forms_of_a_token() -> None:
    forms = secret_forms(TOKEN)
    assert set(forms) == {TOKEN, f"{BOT_ID}%3A{SECRET}", f"{BOT_ID}%3a{SECRET}", SECRET}
    assert [len(f) for f in forms] == sorted(map(len, forms), reverse=True)  # longest first
    # A secret part too short to be told from ordinary words is not hunted alone.
    assert set(secret_forms("12:abc")) == {"12%3Aabc", "12%3aabc", "12:abc"}


def test_the_filter_keeps_every_record_and_leaves_others_alone() -> None:
    redact = SecretFilter([TOKEN])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert redact.filter(record) is True and record.getMessage() == "hello world"
    assert SecretFilter([]).redact(TOKEN) == TOKEN  # nothing to hide: nothing changes
    assert SecretFilter([""]).redact("abc") == "abc"


def test_pytests_own_log_capture_hides_the_test_token(caplog: pytest.LogCaptureFixture) -> None:
    """The tests' log capture (shown in a failure report) gets the filter too."""
    with caplog.at_level(logging.INFO):
        logging.getLogger("tests.redaction.caplog").info(
            "GET https://api.telegram.org/bot%s/getMe", TEST_TOKEN
        )
    assert TEST_TOKEN not in caplog.text and "bot<redacted>/getMe" in caplog.text
