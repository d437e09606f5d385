"""Mutation testing of one module with mutmut, against the fast test files that cover it.

    .venv/bin/pip install -e '.[test,mutation]'
    .venv/bin/python tests/mutation/run.py roles          # or: ranking, sender, …; --list
    .venv/bin/python tests/mutation/run.py sender --max-children 2

Each module runs in its own copy of the project under ``.mutation/<module>/`` (mutmut writes
its mutants and results there: a second run only re-tests what changed), with a mutmut
configuration that names that module and its fast, in-process test files: never the
end-to-end tests, which start processes and take minutes. At the end it prints the mutants
that survived (``mutmut show NAME`` inside that folder shows the change) and the score.

Not in CI: a module takes minutes to an hour on two shared cores. Survivors that no test can
kill, because the change does not change behaviour, are listed with the reason in
``tests/mutation/equivalent.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# module: (file to mutate, mutant names to run, the fast test files that cover it)
MODULES: dict[str, tuple[str, list[str], list[str]]] = {
    "roles": ("bot/domain/roles.py", ["bot.domain.roles.*"], ["tests/test_scope_rules.py"]),
    "ranking": (
        "bot/services/reports.py",
        ["bot.services.reports.x_rank*"],  # the ranking order; the rest of reports.py is rendering
        ["tests/test_ranking_order.py", "tests/test_reports.py"],
    ),
    "applications": (
        "bot/domain/applications.py",
        ["bot.domain.applications.*"],
        ["tests/test_application_rules.py", "tests/test_ranking_order.py"],
    ),
    "validation": (
        "bot/domain/validation.py",
        ["bot.domain.validation.*"],
        ["tests/test_validation.py", "tests/test_validation_bounds.py"],
    ),
    "reminders": (
        "bot/domain/reminders.py",
        ["bot.domain.reminders.*"],
        ["tests/test_reminders.py", "tests/test_reminder_rules.py"],
    ),
    "sender": (
        "bot/delivery/sender.py",
        ["bot.delivery.sender.*"],
        ["tests/test_sender_progress.py", "tests/test_pacing.py", "tests/test_reminders.py"],
    ),
    "pacing": (
        "bot/delivery/pacing.py",
        ["bot.delivery.pacing.*"],
        ["tests/test_pacing.py", "tests/test_pacing_rules.py"],
    ),
    "retention": (
        "bot/services/retention.py",
        ["bot.services.retention.*"],
        ["tests/test_retention.py", "tests/test_retention_rules.py"],
    ),
}

COPIED = ("bot", "db", "handlers", "locales", "tests", "pyproject.toml")


def mutmut_config(source: str, tests: list[str]) -> str:
    return "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["bot/", "db/", "handlers/"]',
            f"only_mutate = {json.dumps([source])}",
            'also_copy = ["locales/"]',
            'pytest_add_cli_args = ["-p", "no:randomly", "-q", "-n", "0"]',
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
            "",
        ]
    )


def prepare(module: str) -> Path:
    source, _, tests = MODULES[module]
    work = ROOT / ".mutation" / module
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, target)
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + mutmut_config(source, tests), "utf-8")
    return work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", nargs="?", choices=sorted(MODULES))
    parser.add_argument("--list", action="store_true", help="the modules and their test files")
    parser.add_argument("--max-children", type=int, default=1)
    args = parser.parse_args()
    if args.list or args.module is None:
        for name, (source, _, tests) in MODULES.items():
            print(f"{name:13} {source:22} {' '.join(tests)}")
        return 0
    work = prepare(args.module)
    _, names, _ = MODULES[args.module]
    mutmut = [sys.executable, "-m", "mutmut"]
    run = subprocess.run(
        [*mutmut, "run", "--max-children", str(args.max_children), *names], cwd=work, check=False
    )
    results = subprocess.run(
        [*mutmut, "results", "--all", "true"], cwd=work, capture_output=True, text=True
    )
    counts: dict[str, int] = {}
    prefixes = tuple(n.rstrip("*") for n in names)
    for line in results.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith(prefixes):
            counts[status] = counts.get(status, 0) + 1
            if status in ("survived", "no tests"):
                print(f"{status:9} {name}")
    total = sum(counts.values())
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    print(f"{args.module}: {counts}")
    if total:
        print(f"{args.module}: {caught} of {total} mutants caught ({100 * caught / total:.0f}%)")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
