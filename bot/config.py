"""Settings from the environment and ``.env`` (pydantic-settings).

Built inside ``main()``, never at import. A missing or malformed setting is reported as one
line naming it (see :func:`describe_settings_error`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")

Locale = Literal["ru", "en"]
LOCALES: tuple[Locale, ...] = ("ru", "en")


class CommonSettings(BaseSettings):
    """What every command needs, the bot token excepted (catalogue tools run without it)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_path: Path = Path("data/bot.sqlite3")
    default_locale: Locale = "ru"
    timezone: str = "Asia/Krasnoyarsk"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    backup_dir: Path | None = None
    backup_keep: Annotated[int, Field(ge=1, le=1000)] = 14
    backup_hour: Annotated[int, Field(ge=0, le=23)] = 3

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _empty_dir_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Krasnoyarsk)") from None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Settings(CommonSettings):
    """Everything the running bot needs."""

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    telegram_timeout: Annotated[float, Field(gt=0, le=300)] = 60
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    admission_chat_id: int | None = None
    retention_days: Annotated[int, Field(ge=0, le=3650)] = 90
    enrolled_retention_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    send_rate: Annotated[float, Field(gt=0, le=30)] = 25
    # Seconds between two messages to one person (Telegram: about 1); a group gets 3 times it.
    send_chat_interval: Annotated[float, Field(ge=0, le=60)] = 1.0
    # Upper bound of the calls the sender keeps in flight (it keeps about SEND_RATE × round
    # trip); a crash may send those again.
    send_max_in_flight: Annotated[int, Field(ge=1, le=30)] = 20
    reminder_hour: Annotated[int, Field(ge=8, le=21)] = 10
    # The staff's daily digest, local time: within the day (outside the quiet hours 22–08).
    digest_hour: Annotated[int, Field(ge=8, le=21)] = 9
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    webhook_path: str = "/telegram/webhook"
    redis_url: str | None = None
    leader_ttl: Annotated[float, Field(ge=1, le=300)] = 15

    @field_validator(
        "admission_chat_id",
        "enrolled_retention_days",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN.match(value.get_secret_value()):
            raise ValueError("does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError(f"{value!r} is not a redis:// URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an https URL (Telegram calls webhooks over TLS)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError("must be 16-256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9/_-]*", value):
            raise ValueError(f"{value!r} is not a URL path starting with /")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @property
    def staff_chats(self) -> list[int]:
        """Where the admission staff are told things: the admission chat, or else each
        administrator."""
        if self.admission_chat_id is not None:
            return [self.admission_chat_id]
        return sorted(self.admin_ids)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, int):
            return frozenset({value})
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            bad = [p for p in parts if not re.fullmatch(r"-?\d{1,20}", p)]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a Telegram user id (comma-separated numbers)")
            return frozenset(int(p) for p in parts)
        return value


def describe_settings_error(error: ValidationError) -> str:
    """One line per problem, naming the environment variable."""
    lines = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        if item["type"] == "missing":
            message = "is required (set it in the environment or in .env)"
        else:
            message = item["msg"].removeprefix("Value error, ")
        lines.append(f"configuration error: {name} {message}")
    return "\n".join(lines)
