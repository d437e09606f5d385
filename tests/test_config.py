"""Settings: defaults, parsing, and one clear line for a bad or missing setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_settings_error


def make(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


def test_defaults() -> None:
    settings = make(bot_token="123:abc")
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.default_locale == "ru"
    assert settings.timezone == "Asia/Krasnoyarsk"
    assert settings.admin_ids == frozenset()


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "12, 345,6789")
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    assert Settings(_env_file=None).admin_ids == {12, 345, 6789}  # type: ignore[call-arg]


def test_the_token_is_secret_in_reprs() -> None:
    settings = make(bot_token="123:very-secret")
    assert "very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "configuration error: BOT_TOKEN is required"),
        ({"BOT_TOKEN": "nonsense"}, "configuration error: BOT_TOKEN does not look like a token"),
        ({"BOT_TOKEN": "1:a", "ADMIN_IDS": "1,bob"}, "configuration error: ADMIN_IDS 'bob'"),
        ({"BOT_TOKEN": "1:a", "TIMEZONE": "Norilsk"}, "configuration error: TIMEZONE unknown"),
        ({"BOT_TOKEN": "1:a", "DEFAULT_LOCALE": "de"}, "configuration error: DEFAULT_LOCALE"),
        ({"BOT_TOKEN": "1:a", "TELEGRAM_API_URL": "localhost"}, "TELEGRAM_API_URL"),
    ],
)
def test_a_bad_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("BOT_TOKEN", "ADMIN_IDS", "TIMEZONE", "DEFAULT_LOCALE", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert expected in describe_settings_error(error.value)


def test_the_bot_refuses_to_start_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: BOT_TOKEN is required (set it in the environment or in .env)"
    )
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    (tmp_path / ".env").write_text("BOT_TOKEN=55:from-dotenv\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()  # type: ignore[call-arg]
    assert settings.bot_token.get_secret_value() == "55:from-dotenv"
    assert settings.log_level == "DEBUG"


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text("utf-8")
    readme = (root / "README.md").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in example, name
        assert f"| `{name.upper()}` |" in readme, name


def test_json_logs_are_one_object_per_line() -> None:
    code = (
        "import logging; from bot.cli import _setup_logging; _setup_logging('INFO', 'json'); "
        "logging.getLogger('bot.test').info('update %s handled', 42)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    [line] = done.stderr.strip().splitlines()
    record = json.loads(line)
    assert record["message"] == "update 42 handled"
    assert record["level"] == "INFO" and record["logger"] == "bot.test" and "time" in record
