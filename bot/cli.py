"""Command line: ``python -m bot`` runs the bot; ``python -m bot catalog check|load|export FILE``,
``catalog versions``, ``catalog rollback N``;
``python -m bot backup [DEST]``; ``python -m bot restore SRC``; ``python -m bot demo`` (the bot
in a browser chat, offline, no token)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from bot.config import CommonSettings, Settings, describe_settings_error

if TYPE_CHECKING:
    from bot.domain.catalog import Catalog
    from bot.services.catalog import CatalogService
    from db.database import Database

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
    catalog = commands.add_parser(
        "catalog", help="check, load or export the catalogue; list its versions, go back to one"
    )
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_commands.add_parser("check", help="validate a catalogue file (TOML)")
    check.add_argument("file", type=Path)
    load = catalog_commands.add_parser(
        "load",
        help="validate a catalogue file (TOML, or a workbook .xlsx as exported) and make it "
        "current in the database; prints what changes",
    )
    load.add_argument("file", type=Path)
    load.add_argument(
        "--dry-run", action="store_true", help="only check the file and print what would change"
    )
    export = catalog_commands.add_parser(
        "export", help="write the current catalogue as a workbook (.xlsx) to edit"
    )
    export.add_argument("file", type=Path)
    catalog_commands.add_parser("versions", help="list the catalogue's versions, newest first")
    rollback = catalog_commands.add_parser(
        "rollback", help="make an older version current again (as a new version)"
    )
    rollback.add_argument("version", type=int)
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
    from bot.domain.catalog import read_catalog_file, unsourced_values, untranslated_sources

    catalog, problems, _raw = read_catalog_file(path)
    if catalog is None:
        for problem in problems:
            print(f"{path}: {problem}")
        print(f"{len(problems)} problem(s) found; the file cannot be loaded", file=sys.stderr)
        return 1
    # Loadable, but a value without a source would be shown to applicants as fact, and a
    # source without an English name would be shown in Russian to English-speaking users.
    for warning in unsourced_values(catalog) + untranslated_sources(catalog):
        print(f"{path}: warning: {warning}")
    print(
        f"{path}: ok ({len(catalog.specialties)} specialties, {len(catalog.colleges)} colleges, "
        f"{len(catalog.campaigns)} campaign(s), {len(catalog.faq)} FAQ entries)"
    )
    return 0


def catalog_load(path: Path, settings: CommonSettings, dry_run: bool = False) -> int:
    """A TOML file, or a workbook (``.xlsx``) read against the current catalogue: every
    problem, or what changes; applied unless ``dry_run``. Those who follow a specialty are
    told what became known, as when the staff change it from Telegram."""
    from bot.domain.catalog import read_catalog_file

    catalog = None
    if path.suffix.casefold() == ".xlsx":
        try:
            raw = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read the file: {exc.strerror or exc}")
            return 1
    else:  # a TOML file is checked before the database is even opened
        catalog, problems, raw = read_catalog_file(path)
        if catalog is None:
            for problem in problems:
                print(f"{path}: {problem}")
            print("nothing was changed in the database", file=sys.stderr)
            return 1
    return asyncio.run(_load(path, raw, catalog, settings, dry_run))


async def _load(
    path: Path, raw: bytes, catalog: Catalog | None, settings: CommonSettings, dry_run: bool
) -> int:
    from bot.services.catalog import checksum
    from bot.services.catalog_workbook import diff

    db, service = await _catalog_service(settings)
    try:
        base_id, base = await service.current_version()
        if catalog is None:  # a workbook, read against the current catalogue
            edit = await service.read_workbook(raw, None)
            for problem in edit.problems:
                print(f"{path}: {problem}")
            if edit.catalog is None:
                print("nothing was changed in the database", file=sys.stderr)
                return 1
            catalog = edit.catalog
        _print_changes(diff(base, catalog))
        if dry_run:
            print("nothing was changed (--dry-run)")
            return 0
        version = await service.apply(
            catalog, base_id=base_id, base=base, source=str(path), by=None, sha256=checksum(raw)
        )
    finally:
        await db.close()
    return _applied(
        version, f"{path}: loaded as catalogue version {version} into {settings.database_path}"
    )


def _print_changes(changes: Sequence[object]) -> None:
    for change in changes:
        print(f"  {change}")
    print(f"{len(changes)} change(s)")


async def _catalog_service(settings: CommonSettings) -> tuple[Database, CatalogService]:
    """The database and the catalogue service as the bot has it (the followers of a specialty
    are told of what a new version makes known)."""
    from bot.clock import Clock
    from bot.services.catalog import CatalogService, prepare_database
    from db.catalog import CatalogRepository
    from db.reminders import ReminderRepository

    db = await prepare_database(settings.database_path)
    service = CatalogService(
        CatalogRepository(db), reminders=ReminderRepository(db), clock=Clock(settings.tz)
    )
    return db, service


def catalog_export(path: Path, settings: CommonSettings) -> int:
    from bot.services.catalog_workbook import workbook_bytes

    version, catalog = asyncio.run(_current(settings))
    try:
        path.write_bytes(workbook_bytes(catalog))
    except OSError as exc:
        print(f"{path}: cannot write the file: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{path}: catalogue version {version}; edit it and load it with: catalog load {path}")
    return 0


async def _current(settings: CommonSettings) -> tuple[int, Catalog]:
    db, service = await _catalog_service(settings)
    try:
        return await service.current_version()
    finally:
        await db.close()


async def catalog_versions(settings: CommonSettings) -> int:
    db, service = await _catalog_service(settings)
    try:
        current, _catalog = await service.current_version()
        versions = await service.versions(50)
    finally:
        await db.close()
    for v in versions:
        by = (
            "" if v.loaded_by is None else f" by {v.loaded_by}" + (f" ({v.name})" if v.name else "")
        )
        mark = "  <- current" if v.id == current else ""
        when = v.loaded_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
        print(f"{v.id}\t{when}{by}\t{v.source}{mark}")
    return 0


async def catalog_rollback(version_id: int, settings: CommonSettings) -> int:
    from bot.services.catalog import FROM_VERSION

    db, service = await _catalog_service(settings)
    try:
        edit = await service.older(version_id, None)
        if edit is None or edit.catalog is None:
            print(f"there is no version {version_id}", file=sys.stderr)
            return 1
        _print_changes(edit.changes)
        version = await service.apply(
            edit.catalog,
            base_id=edit.base_id,
            base=edit.base,
            source=f"{FROM_VERSION}{version_id}",
            by=None,
        )
    finally:
        await db.close()
    return _applied(version, f"version {version_id} is current again, as version {version}")


def _applied(version: int | None, done: str) -> int:
    """The exit status of a new version: ``done`` said, or that another came first."""
    if version is None:
        print("the catalogue changed meanwhile: nothing was changed, run it again", file=sys.stderr)
        return 1
    print(done)
    return 0


def catalog_command(args: argparse.Namespace, settings: CommonSettings) -> int:
    if args.catalog_command == "export":
        return catalog_export(args.file, settings)
    if args.catalog_command == "versions":
        return asyncio.run(catalog_versions(settings))
    if args.catalog_command == "rollback":
        return asyncio.run(catalog_rollback(args.version, settings))
    return catalog_load(args.file, settings, args.dry_run)


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
        return catalog_command(args, settings)
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
