"""Persistence: the only package that contains SQL."""

from db.database import Database, DatabaseTooNewError

__all__ = ["Database", "DatabaseTooNewError"]
