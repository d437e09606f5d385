"""Rows to dataclasses: one mapping for every repository.

SQLite keeps dates, instants and decimals as text and flags as 0/1: a field's type says how
its column is read back (``date``, ``datetime``, ``Decimal``, ``bool``, and ``X | None`` of
those). A field is read from the column of its name, unless the mapper names another column
or gives a function of the whole row; a value given at the call (read by another query) wins.
Every field needs one of these, defaults included: a missing column is an error, not a default.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Row = sqlite3.Row | Mapping[str, Any]
Source = str | Callable[[Any], object]

_CONVERTERS: dict[object, Callable[[Any], object]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    Decimal: lambda value: Decimal(str(value)),
    bool: bool,
}


def _converter(hint: object) -> Callable[[Any], object] | None:
    """How a column value becomes a value of the type ``hint`` (None: as it is)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        inner = [arg for arg in args if arg is not type(None)]
        if len(inner) == 1 and len(args) == 2:
            convert = _converter(inner[0])
            if convert is None:
                return None
            return lambda value: None if value is None else convert(value)
        return None
    return _CONVERTERS.get(hint)


def _getter(column: str, convert: Callable[[Any], object] | None) -> Callable[[Any], object]:
    if convert is None:
        return lambda row: row[column]
    return lambda row: convert(row[column])


class RowMapper(Generic[T]):
    """Builds a ``T`` (a dataclass) from a row.

    ``RowMapper(PracticumPeriod, start="start_date")`` reads the field ``start`` from the
    column ``start_date`` (converted by the field's type); ``unreachable=lambda row:
    row["unreachable_at"] is not None`` computes a field from the row.
    """

    def __init__(self, cls: type[T], **sources: Source) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = set(sources) - set(names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        self.cls = cls
        self._fields: list[tuple[str, Callable[[Any], object]]] = []
        for name in names:
            source = sources.get(name, name)
            if callable(source):
                self._fields.append((name, source))
            else:
                self._fields.append((name, _getter(source, _converter(hints[name]))))

    def __call__(self, row: Row, **given: object) -> T:
        values = {name: given[name] if name in given else get(row) for name, get in self._fields}
        return self.cls(**values)

    def one(self, row: Row | None) -> T | None:
        """The mapped row, or None for no row."""
        return None if row is None else self(row)

    def all(self, rows: Iterable[Row]) -> list[T]:
        return [self(row) for row in rows]
