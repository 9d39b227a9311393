"""SQL fragments the adapters share: typed conversions of raw text and the checks that go with
them. Conversions never fail (TRY_CAST and friends); the checks say which rows to refuse."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.sources.base import Check, col
from tocsin.sqltext import sql_str

EARLIEST_DATE = "1946-01-01"  # nothing Tocsin ingests is older; earlier dates are typos


lit = sql_str  # adapters' name for a SQL string literal


def num(name: str) -> str:
    return f"TRY_CAST({col(name)} AS DOUBLE)"


def integer(name: str) -> str:
    # Publishers write counts as 12, 12.0 or "12"; all mean 12.
    return f"TRY_CAST(round(TRY_CAST({col(name)} AS DOUBLE)) AS BIGINT)"


def date(name: str, *formats: str) -> str:
    """A DATE from text in any of the given strptime formats (ISO when none are given)."""
    fmts = formats or ("%Y-%m-%d",)
    listing = "[" + ", ".join(lit(f) for f in fmts) + "]"
    return f"CAST(try_strptime({col(name)}, {listing}) AS DATE)"


def latitude_check(name: str) -> Check:
    return Check(name, f"{num(name)} BETWEEN -90 AND 90", Said("check.latitude"))


def longitude_check(name: str) -> Check:
    return Check(name, f"{num(name)} BETWEEN -180 AND 180", Said("check.longitude"))


def date_check(name: str, expr: str, shown: str) -> Check:
    """The date parses and is neither implausibly old nor in the future. ``shown``: the layout
    the file should have (a ``Said`` where it has words, not only YYYY-MM-DD)."""
    return Check(name, f"{expr} BETWEEN DATE {lit(EARLIEST_DATE)} AND current_date + 1",
                 Said("check.date", shown=shown, earliest=EARLIEST_DATE))


def required_check(name: str, what: str) -> Check:
    return Check(name, f"{col(name)} IS NOT NULL", what)


MAX_COUNT = 2_147_483_647  # counts are INTEGER columns: a bigger "count" is a typo, not data


def count_ok(name: str) -> str:
    return f"{num(name)} BETWEEN 0 AND {MAX_COUNT}"


def count_check(name: str, what: str = Said("check.count")) -> Check:
    """Empty is allowed; anything else must be a count that fits its column."""
    return Check(name, f"{col(name)} IS NULL OR {count_ok(name)}", what)


def mapped(name: str, mapping: dict[str, str]) -> str:
    """A source's codes translated (e.g. UCDP where_prec 4 -> admin1); NULL for unknown codes."""
    arms = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in mapping.items())
    return f"(CASE {col(name)} {arms} END)"


def joined_id(names: list[str]) -> str:
    """An id made of several columns, for sources that publish none."""
    return "concat_ws(':', " + ", ".join(f"coalesce({col(n)}, '')" for n in names) + ")"


def json_object(names: list[str], present: list[str]) -> str:
    """Raw columns kept as one JSON object (for the attributes column); absent ones skipped."""
    pairs = ", ".join(f"{lit(n)}, {col(n)}" for n in names if n in present)
    return f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "NULL"
