"""The one row mapping every repository uses: columns to dataclass fields by name and type."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from db.rows import RowMapper


@dataclass(frozen=True, slots=True)
class Sample:
    id: int
    name: str
    born: date
    seen_at: datetime
    score: Decimal
    active: bool
    closed_at: datetime | None
    flag: bool | None
    tags: tuple[str, ...] = ()


def row(**values: object) -> sqlite3.Row:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    try:
        names = ", ".join(f"? AS {name}" for name in values)
        return conn.execute(f"SELECT {names}", tuple(values.values())).fetchone()
    finally:
        conn.close()


BASE = {
    "id": 7,
    "name": "Анна",
    "born": "2008-03-05",
    "seen_at": "2026-07-01T05:00:00+00:00",
    "score": "4.50",
    "active": 1,
    "closed_at": None,
    "flag": None,
}


def test_columns_are_read_back_by_the_type_of_their_field() -> None:
    mapper = RowMapper(Sample, tags=lambda r: ())
    sample = mapper(row(**BASE))
    assert sample == Sample(
        id=7,
        name="Анна",
        born=date(2008, 3, 5),
        seen_at=datetime(2026, 7, 1, 5, 0, tzinfo=UTC),
        score=Decimal("4.50"),
        active=True,
        closed_at=None,
        flag=None,
    )
    later = mapper(row(**{**BASE, "closed_at": "2026-08-01T00:00:00+00:00", "flag": 0}))
    assert later.closed_at == datetime(2026, 8, 1, tzinfo=UTC) and later.flag is False


def test_a_field_may_come_from_another_column_a_function_or_the_call() -> None:
    mapper = RowMapper(
        Sample, name="full_name", active=lambda r: r["left_at"] is None, born="birth_date"
    )
    values = {**BASE, "full_name": "Иван", "left_at": None, "birth_date": "2007-01-02"}
    del values["name"], values["active"], values["born"]
    sample = mapper(row(**values), tags=("a", "b"))
    assert (sample.name, sample.active, sample.born, sample.tags) == (
        "Иван",
        True,
        date(2007, 1, 2),
        ("a", "b"),
    )
    assert mapper.one(None) is None
    assert mapper.all([]) == []


def test_a_mapper_naming_a_field_that_does_not_exist_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="no field nmae"):
        RowMapper(Sample, nmae="name")
