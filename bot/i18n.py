"""gettext catalogues: compiled from ``locales/*/LC_MESSAGES/messages.po`` when needed.

A fresh clone has only the ``.po`` files; the bot, the tests and the demo compile them on
start (a few milliseconds), so no separate build step can be forgotten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"


def source_dir() -> Path:
    return Path(str(resources.files("locales")))


def _compile(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as fp:
        catalog = read_po(fp, abort_invalid=True)
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; translations are not secret
        os.replace(tmp, mo_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_catalogs(src: Path | None = None) -> Path:
    """Compile every stale ``.po`` and return the directory that holds the ``.mo`` files.

    The ``.mo`` goes next to its ``.po``; where that is read-only (an installed package),
    into a per-version cache directory under the system temp directory.
    """
    src = src or source_dir()
    pos = sorted(src.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if not pos:
        raise RuntimeError(f"no translations found under {src}")
    try:
        for po in pos:
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                _compile(po, mo)
        return src
    except OSError:
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in pos)).hexdigest()[:16]
        cache = Path(tempfile.gettempdir()) / f"metallurgy-bot-locales-{digest}"
        for po in pos:
            mo = cache / po.relative_to(src).with_suffix(".mo")
            if not mo.exists():
                _compile(po, mo)
        return cache


def build_i18n(default_locale: str) -> I18n:
    return I18n(path=compile_catalogs(), default_locale=default_locale, domain=DOMAIN)
