"""The catalogue file: the shipped default, every problem reported with its place, atomic load."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.domain.catalog import (
    Catalog,
    default_catalog_bytes,
    parse_catalog,
    unsourced_values,
)
from bot.services.catalog import CatalogService
from db.catalog import CatalogRepository
from db.database import Database

# DOMAIN.md's list with the two outdated codes replaced by the current standards.
DOMAIN_CODES = [
    "22.02.08", "21.02.18", "21.02.17", "21.02.14", "15.02.17", "15.02.14", "13.02.13",
    "13.02.07", "18.02.12", "15.02.19", "15.01.05", "13.01.10", "15.01.31", "15.01.35",
]  # fmt: skip


def default_text() -> str:
    return default_catalog_bytes().decode("utf-8")


def test_default_catalogue_has_the_fourteen_specialties_and_three_colleges() -> None:
    catalog, problems = parse_catalog(default_catalog_bytes())
    assert problems == []
    assert catalog is not None
    assert [s.code for s in catalog.specialties] == DOMAIN_CODES
    assert {c.id for c in catalog.colleges} == {"ntpts", "zgu-polytech", "taimyr"}


def test_default_catalogue_invents_no_numbers() -> None:
    catalog, _ = parse_catalog(default_catalog_bytes())
    assert catalog is not None
    assert all(s.budget_places is None for s in catalog.specialties)
    metallurgy = catalog.specialty("22.02.08")
    assert metallurgy is not None and metallurgy.colleges == ["ntpts"]
    assert metallurgy.new_programme
    power_supply = catalog.specialty("13.02.07")
    assert power_supply is not None and power_supply.medical_certificate is True


def test_campaign_for_today_is_the_next_one_once_the_current_is_over() -> None:
    catalog, _ = parse_catalog(default_catalog_bytes())
    assert catalog is not None
    assert catalog.campaign_for(date(2026, 7, 1)).year == 2026  # type: ignore[union-attr]
    assert catalog.campaign_for(date(2026, 11, 25)).year == 2026  # type: ignore[union-attr]
    assert catalog.campaign_for(date(2026, 11, 26)).year == 2027  # type: ignore[union-attr]


def test_once_every_campaign_is_over_none_takes_applications() -> None:
    catalog, _ = parse_catalog(default_catalog_bytes())
    assert catalog is not None
    assert catalog.campaign_for(date(2027, 11, 26)) is None
    assert not catalog.accepts_changes(2027, date(2027, 11, 26))
    assert catalog.accepts_changes(2027, date(2027, 11, 25))
    assert not catalog.accepts_changes(2031, date(2027, 1, 1))  # not in the catalogue
    # The staff still work on the latest campaign until its data is erased.
    assert catalog.recent_campaign(date(2040, 1, 1)).year == 2027


def test_a_bad_code_is_reported_with_its_place() -> None:
    text = default_text().replace('code = "21.02.14"', 'code = "22.2.08"', 1)
    catalog, problems = parse_catalog(text)
    assert catalog is None
    assert "specialties[3].code: '22.2.08' is not a FGOS code NN.NN.NN" in [
        str(p) for p in problems
    ]


def test_every_problem_is_reported_in_one_run() -> None:
    text = (
        default_text()
        .replace('code = "21.02.14"', 'code = "22.2.08"', 1)
        .replace('code = "13.02.07"', 'code = "13.02.13"', 1)
        .replace('colleges = ["ntpts"]', 'colleges = ["nowhere"]', 1)
        .replace("budget_places", "budget_place", 1)
        .replace("acceptance_end = 2026-08-15", "acceptance_end = 2026-05-01", 1)
    )
    catalog, problems = parse_catalog(text)
    assert catalog is None
    messages = [str(p) for p in problems]
    assert "specialties[3].code: '22.2.08' is not a FGOS code NN.NN.NN" in messages
    assert "specialties[7].code: '13.02.13' repeats specialties[6]" in messages
    assert "specialties[0].colleges[0]: unknown college 'nowhere'" in messages
    assert (
        "campaigns[0].acceptance_end: 2026-05-01 is before acceptance_start 2026-06-20" in messages
    )


def test_unknown_fields_and_wrong_types_are_named() -> None:
    text = default_text().replace("new_programme = true", 'new_programme = "yes please"', 1)
    text = text.replace("education_base = []", "education_bases = []", 1)
    _, problems = parse_catalog(text)
    messages = [str(p) for p in problems]
    assert "specialties[0].education_bases: unknown field (a typo?)" in messages
    assert any(m.startswith("specialties[0].new_programme:") for m in messages)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"schema_version = 1\n[cluster\n", "TOML syntax error"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"", "required field is missing"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(raw: bytes, expected: str) -> None:
    catalog, problems = parse_catalog(raw)
    assert catalog is None
    assert any(expected in str(p) for p in problems)


def test_short_names_fit_a_button() -> None:
    text = default_text().replace(
        'short_name = { ru = "Металлургия"', 'short_name = { ru = "' + "М" * 29 + '"', 1
    )
    _, problems = parse_catalog(text)
    assert any(str(p).startswith("specialties[0].short_name.ru:") for p in problems)


def run_cli(*args: str, cwd: Path, env_db: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "DATABASE_PATH": str(env_db)}
    env.pop("BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_catalog_check_cli_prints_problems_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(default_text().replace('code = "21.02.14"', 'code = "22.2.08"', 1), "utf-8")
    result = run_cli("catalog", "check", str(bad), cwd=tmp_path, env_db=tmp_path / "db.sqlite3")
    assert result.returncode == 1
    assert f"{bad}: specialties[3].code: '22.2.08' is not a FGOS code NN.NN.NN" in result.stdout

    good = tmp_path / "good.toml"
    good.write_bytes(default_catalog_bytes())
    result = run_cli("catalog", "check", str(good), cwd=tmp_path, env_db=tmp_path / "db.sqlite3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14 specialties" in result.stdout


async def test_catalog_load_cli_replaces_atomically_and_a_bad_file_changes_nothing(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "db.sqlite3"
    edited = tmp_path / "edited.toml"
    edited.write_text(
        default_text().replace(
            'short_name = { ru = "Металлургия"', 'short_name = { ru = "Литьё"', 1
        ),
        "utf-8",
    )
    result = run_cli("catalog", "load", str(edited), cwd=tmp_path, env_db=db_path)
    assert result.returncode == 0, result.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text(default_text().replace('code = "13.02.07"', 'code = "13.02.13"', 1), "utf-8")
    result = run_cli("catalog", "load", str(bad), cwd=tmp_path, env_db=db_path)
    assert result.returncode == 1
    assert "nothing was changed" in result.stderr

    async with Database(db_path) as db:
        service = CatalogService(CatalogRepository(db))
        catalog = await service.current()
        assert catalog.specialty("13.02.07") is not None
        assert catalog.specialties[0].short_name.ru == "Литьё"
        assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 2


async def test_running_bot_sees_a_newly_loaded_catalogue(db: Database) -> None:
    service = CatalogService(CatalogRepository(db))
    before = await service.current()
    assert before.faq
    edited = default_text().replace("[[faq]]", "[[faq_removed]]")
    version, problems = await service.load(edited.encode(), "test")
    assert version is None and problems  # unknown table is refused, nothing changes
    assert (await service.current()) is before

    text = default_text()
    first_faq = text.index("[[faq]]")
    version, problems = await service.load(text[:first_faq].encode(), "test")
    assert problems == [] and version is not None
    assert (await service.current()).faq == []


async def test_the_default_is_loaded_only_once(db: Database) -> None:
    service = CatalogService(CatalogRepository(db))
    assert await service.ensure_loaded() is False  # prepare_database already did
    assert await db.fetchval("SELECT count(*) FROM catalog_versions") == 1


DEEP_ARRAYS = "a = " + "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("command", "content", "problem"),
    [
        ("check", DEEP_ARRAYS, "nested too deeply"),
        ("check", "a = " + "{ b = " * 3000 + "1" + " }" * 3000, "nested too deeply"),
        ("check", "a = 1" + "0" * 5000, "cannot be read"),  # more digits than int() takes
        ("load", DEEP_ARRAYS, "nested too deeply"),
    ],
)
def test_a_pathological_file_is_one_problem_line_not_a_traceback(
    tmp_path: Path, command: str, content: str, problem: str
) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(content, "utf-8")
    result = run_cli("catalog", command, str(path), cwd=tmp_path, env_db=tmp_path / "db.sqlite3")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{path}: ") and problem in line
    assert not (tmp_path / "db.sqlite3").exists()  # a bad file changes nothing


def test_parse_catalog_survives_any_nesting() -> None:
    for depth in (10, 100, 300, 1000, 100_000):
        catalog, problems = parse_catalog("a = " + "[" * depth + "]" * depth)
        assert catalog is None and problems  # a problem, never an exception


# --- honest content: sources, unconfirmed rows, former codes, unknowns in filters ---------------


def shipped() -> Catalog:
    catalog, problems = parse_catalog(default_catalog_bytes())
    assert catalog is not None, problems
    return catalog


def edited(*changes: tuple[str, str]) -> tuple[Catalog | None, list[str]]:
    text = default_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    catalog, problems = parse_catalog(text)
    return catalog, [str(p) for p in problems]


def test_every_item_of_the_shipped_catalogue_has_a_source_or_is_marked_to_be_confirmed() -> None:
    catalog = shipped()
    for specialty in catalog.specialties:
        assert specialty.source or not specialty.confirmed, specialty.code
    assert [s.code for s in catalog.specialties if s.confirmed] == ["22.02.08"]
    for college in catalog.colleges:
        assert college.source, college.id
    for campaign in catalog.campaigns:
        assert campaign.source, campaign.year
    for entry in catalog.faq:
        marked = "уточня" in entry.answer.ru and "confirm" in (entry.answer.en or "")
        assert entry.source or marked, entry.question.ru
    assert catalog.cluster.source and catalog.documents_source
    # And no value is stated without one.
    assert unsourced_values(catalog) == []


def test_the_shipped_catalogue_states_nothing_its_sources_do_not() -> None:
    catalog = shipped()
    assert all(s.qualification is None for s in catalog.specialties)
    assert all(s.entrance_tests is None for s in catalog.specialties)
    for campaign in catalog.campaigns:
        assert campaign.enrollment_order is None  # a computed date is not a published one
        assert not campaign.acceptance_start_exact  # «не позднее 20 июня»
        assert campaign.acceptance_start == date(campaign.year, 6, 20)
    assert catalog.campaign(2026).gosuslugi_pilot is None  # type: ignore[union-attr]
    answers = " ".join(e.answer.ru + " " + (e.answer.en or "") for e in catalog.faq)
    assert "гарантирует" not in answers and "85" not in answers
    assert "гарантиях индустриальных партнёров" in answers
    assert "проект постановления" in answers  # the Gosuslugi pilot is a draft


def test_outdated_codes_are_replaced_and_kept_as_former_codes() -> None:
    catalog = shipped()
    mounting = catalog.specialty("15.02.17")
    assert mounting is not None and mounting.former_codes == ["15.02.12"]
    assert mounting.name.ru == (
        "Монтаж, техническое обслуживание, эксплуатация и ремонт промышленного оборудования "
        "(по отраслям)"
    )
    welding = catalog.specialty("15.02.19")
    assert welding is not None and welding.former_codes == ["22.02.06"]
    assert welding.name.ru == "Сварочное производство"
    assert catalog.specialty("22.02.06") is welding  # a stored former code finds it


def test_confirmed_needs_the_source_that_confirms_it() -> None:
    catalog, problems = edited(("confirmed = true\nsource =", "confirmed = true\n# source ="))
    assert catalog is None
    assert "specialties[0]: confirmed = true needs the source that confirms it (source = ...)" in (
        problems
    )


def test_a_former_code_may_not_be_another_specialtys_code() -> None:
    catalog, problems = edited(('\nformer_codes = ["15.02.12"]', '\nformer_codes = ["13.02.07"]'))
    assert catalog is None
    assert "specialties[4].former_codes[0]: 13.02.07 is the code of specialties[7]" in problems
    catalog, problems = edited(('\nformer_codes = ["15.02.12"]', '\nformer_codes = ["22.2.06"]'))
    assert "specialties[4].former_codes: '22.2.06' is not a FGOS code NN.NN.NN" in problems


def test_a_source_names_a_field_that_exists() -> None:
    catalog, problems = edited(("sources = { medical_certificate", "sources = { medical"))
    assert catalog is None
    assert any(p.startswith("specialties[7].sources: 'medical' is not a field") for p in problems)


def test_a_value_without_a_source_is_listed() -> None:
    catalog, problems = edited(('code = "21.02.18"\n', 'code = "21.02.18"\nbudget_places = 25\n'))
    assert catalog is not None, problems
    assert [str(p) for p in unsourced_values(catalog)] == [
        "specialties[1].budget_places: no source: add sources.budget_places or the item's source"
    ]
    catalog, problems = edited(
        ('code = "21.02.18"\n', 'code = "21.02.18"\nbudget_places = 25\n'
         'sources = { budget_places = "Приказ колледжа № 12 от 01.03.2027" }\n'),
    )  # fmt: skip
    assert catalog is not None and unsourced_values(catalog) == []


def test_catalog_check_warns_of_a_value_without_a_source(tmp_path: Path) -> None:
    path = tmp_path / "edited.toml"
    path.write_text(
        default_text().replace('code = "21.02.18"\n', 'code = "21.02.18"\nduration = '
                               '{ ru = "3 года 10 месяцев" }\n', 1), "utf-8"
    )  # fmt: skip
    result = run_cli("catalog", "check", str(path), cwd=tmp_path, env_db=tmp_path / "db.sqlite3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{path}: warning: specialties[1].duration: no source" in result.stdout


def codes(specialties: list) -> list[str]:  # type: ignore[type-arg]
    return [s.code for s in specialties]


def test_filters_keep_unknowns_apart_never_matched_never_hidden() -> None:
    catalog = shipped()
    for base in (9, 11):
        found = catalog.browse("", base)
        assert found.matches == [] and len(found.unknown) == 14
    taimyr = catalog.browse("taimyr")
    assert taimyr.matches == [] and "22.02.08" not in codes(taimyr.unknown)
    assert len(taimyr.unknown) == 13
    norilsk = catalog.browse("ntpts")
    assert codes(norilsk.matches) == ["22.02.08"] and len(norilsk.unknown) == 13
    everything = catalog.browse()
    assert len(everything.matches) == 14 and everything.unknown == []
    assert everything.matches[0].code == "22.02.08"  # the confirmed one leads its group

    catalog, problems = edited(("education_base = []", "education_base = [9]"))
    assert catalog is not None, problems
    assert codes(catalog.browse("", 9).matches) == ["22.02.08"]
    assert "22.02.08" not in codes(catalog.browse("", 11).all)
    assert len(catalog.browse("", 11).unknown) == 13


def test_an_applicant_may_choose_what_admits_their_base_or_is_not_known_yet() -> None:
    catalog, problems = edited(("education_base = []", "education_base = [11]"))
    assert catalog is not None, problems
    assert "22.02.08" not in codes(catalog.applicable_specialties(9))
    assert len(catalog.applicable_specialties(9)) == 13
    assert len(catalog.applicable_specialties(11)) == 14
    assert len(catalog.applicable_specialties(None)) == 14
