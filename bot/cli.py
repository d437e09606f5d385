"""Command line: ``python -m bot`` runs the bot; ``python -m bot catalog check|load FILE``;
``python -m bot backup [DEST]``; ``python -m bot restore SRC``; ``python -m bot demo`` (the bot
in a browser chat, offline, no token)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot.config import CommonSettings, Settings, describe_settings_error

log = logging.getLogger("bot")


def log_handler(
    form: str = "text", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """The bot's log handler: one line per event on ``stream`` (stderr), text for people or
    JSON (LOG_FORMAT=json) for collectors; ``secrets`` (the bot token) are taken out of
    every record, its traceback and extra fields included, before any formatter sees it."""
    from bot.log_redaction import SecretFilter

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SecretFilter(secrets))
    if form == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def _setup_logging(level: str, form: str = "text", secrets: Iterable[str] = ()) -> None:
    """The root logger writes through :func:`log_handler` only."""
    logging.basicConfig(level=level, handlers=[log_handler(form, secrets)], force=True)
    # Warnings (a library's ResourceWarning may name an address) go through the same filter.
    logging.captureWarnings(True)
    # aiosqlite logs every statement with its parameters at DEBUG: names, phones, e-mails.
    # Personal data never goes to the log, whatever LOG_LEVEL says.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Telegram bot of the cluster «Металлургия»."
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run", help="run the bot: a webhook if WEBHOOK_URL is set, else long polling (default)"
    )
    catalog = commands.add_parser("catalog", help="check or load the catalogue file")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_commands.add_parser("check", help="validate a catalogue file")
    check.add_argument("file", type=Path)
    load = catalog_commands.add_parser(
        "load", help="validate a catalogue file and make it current in the database"
    )
    load.add_argument("file", type=Path)
    backup = commands.add_parser(
        "backup", help="copy the database into a folder while the bot runs, check and rotate"
    )
    backup.add_argument("dest", type=Path, nargs="?", help="folder (default: BACKUP_DIR)")
    backup.add_argument("--keep", type=int, help="copies to keep (default: BACKUP_KEEP)")
    restore = commands.add_parser(
        "restore", help="replace the database with a checked copy (stop the bot first)"
    )
    restore.add_argument("source", type=Path)
    demo = commands.add_parser(
        "demo",
        help="try the bot offline in a browser chat: no token, no internet, sample data",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to serve the page on")
    demo.add_argument("--port", type=int, default=8080, help="port of the page (0: any free)")
    demo.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening it"
    )
    return parser


def demo_command(host: str, port: int, open_browser: bool) -> int:
    """Needs no ``.env`` and no token: the demo builds its own settings."""
    from bot.demo import run_demo
    from bot.demo.runtime import DEMO_TOKEN

    _setup_logging("WARNING", secrets=[DEMO_TOKEN])
    try:
        asyncio.run(run_demo(host, port, open_browser))
    except OSError as exc:
        print(f"the demo cannot start: {exc} (try --port 0 for any free port)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def backup_command(dest: Path | None, keep: int | None, settings: CommonSettings) -> int:
    from datetime import datetime

    from db.backup import BackupError, make_backup

    directory = dest or settings.backup_dir
    if directory is None:
        print("name a folder, or set BACKUP_DIR", file=sys.stderr)
        return 2
    try:
        path = make_backup(
            settings.database_path,
            directory,
            keep or settings.backup_keep,
            datetime.now(settings.tz),
        )
    except (BackupError, OSError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: copied and checked")
    return 0


def restore_command(source: Path, settings: CommonSettings) -> int:
    from datetime import datetime

    from db.backup import BackupError, restore

    try:
        kept = restore(
            source, settings.database_path, datetime.now(settings.tz), keep=settings.backup_keep
        )
    except (BackupError, OSError) as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"{settings.database_path}: restored from {source}")
    if kept is not None:
        print(f"the replaced database is kept as {kept}; delete it once all is well")
    return 0


def catalog_check(path: Path) -> int:
    from bot.domain.catalog import read_catalog_file, unsourced_values

    catalog, problems, _raw = read_catalog_file(path)
    if catalog is None:
        for problem in problems:
            print(f"{path}: {problem}")
        print(f"{len(problems)} problem(s) found; the file cannot be loaded", file=sys.stderr)
        return 1
    # Loadable, but a value without a source would be shown to applicants as fact.
    for warning in unsourced_values(catalog):
        print(f"{path}: warning: {warning}")
    print(
        f"{path}: ok ({len(catalog.specialties)} specialties, {len(catalog.colleges)} colleges, "
        f"{len(catalog.campaigns)} campaign(s), {len(catalog.faq)} FAQ entries)"
    )
    return 0


async def catalog_load(path: Path, settings: CommonSettings) -> int:
    from bot.app import prepare_database
    from bot.domain.catalog import read_catalog_file
    from bot.services.catalog import CatalogService
    from db.catalog import CatalogRepository

    catalog, problems, raw = read_catalog_file(path)
    if catalog is None:
        for problem in problems:
            print(f"{path}: {problem}")
        print("nothing was changed in the database", file=sys.stderr)
        return 1
    db = await prepare_database(settings.database_path)
    try:
        version, problems = await CatalogService(CatalogRepository(db)).load(raw, str(path))
    finally:
        await db.close()
    print(f"{path}: loaded as catalogue version {version} into {settings.database_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "catalog" and args.catalog_command == "check":
        return catalog_check(args.file)
    if args.command == "demo":
        return demo_command(args.host, args.port, not args.no_browser)
    try:
        settings: CommonSettings = (
            CommonSettings() if args.command in ("catalog", "backup", "restore") else Settings()
        )
    except ValidationError as exc:
        print(describe_settings_error(exc), file=sys.stderr)
        return 2
    token = settings.bot_token.get_secret_value() if isinstance(settings, Settings) else ""
    _setup_logging(settings.log_level, settings.log_format, [token])
    if args.command == "catalog":
        return asyncio.run(catalog_load(args.file, settings))
    if args.command == "backup":
        return backup_command(args.dest, args.keep, settings)
    if args.command == "restore":
        return restore_command(args.source, settings)
    from bot.app import run
    from db.database import DatabaseTooNewError

    assert isinstance(settings, Settings)
    try:
        asyncio.run(run(settings))
    except DatabaseTooNewError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        pass
    except Exception:
        # Through the log, not Python's own report on stderr: the traceback may name an
        # address with the token in it, and the log's filter takes it out.
        log.exception("the bot stopped on an error")
        return 1
    return 0
