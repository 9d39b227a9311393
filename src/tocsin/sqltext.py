"""Quoting text into DuckDB SQL: string literals and identifiers."""

from __future__ import annotations


def sql_str(value: str) -> str:
    """A string literal: 'it''s'."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """An identifier, quoted so that any column name a publisher uses works: "Lat Dd"."""
    return '"' + name.replace('"', '""') + '"'
