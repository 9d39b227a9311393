"""The event taxonomy (taxonomy.yaml) and its translation to one SQL CASE expression."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from tocsin.sqltext import sql_str
from tocsin.yamlfast import safe_load as yaml_load


@dataclass(frozen=True)
class Rule:
    source: str
    category: str
    event_type: str | None = None
    sub_event_type: str | None = None
    notes_pattern: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, str]
    rules: tuple[Rule, ...]

    def classify(self, source: str, event_type: str | None, sub_event_type: str | None = None,
                 notes: str | None = None) -> str:
        """The canonical category, in Python (the SQL form below must agree; a test checks)."""
        import re

        for rule in self.rules:
            if rule.source != source:
                continue
            if rule.event_type and (event_type or "").lower() != rule.event_type.lower():
                continue
            if rule.sub_event_type and (sub_event_type or "").lower() != rule.sub_event_type.lower():
                continue
            if rule.notes_pattern and not re.search(rule.notes_pattern, notes or "", re.I):
                continue
            return rule.category
        return "other"

    def sql_case(self, source: str, event_type: str, sub_event_type: str = "NULL",
                 notes: str = "NULL") -> str:
        """A DuckDB CASE expression over the given column expressions for one source's rules."""
        arms = []
        for rule in self.rules:
            if rule.source != source:
                continue
            conds = []
            if rule.event_type:
                conds.append(f"lower({event_type}) = {sql_str(rule.event_type.lower())}")
            if rule.sub_event_type:
                conds.append(f"lower({sub_event_type}) = {sql_str(rule.sub_event_type.lower())}")
            if rule.notes_pattern:
                conds.append(f"regexp_matches(coalesce({notes}, ''), {sql_str(rule.notes_pattern)}, 'i')")
            arms.append(f"WHEN {' AND '.join(conds) or 'true'} THEN {sql_str(rule.category)}")
        return f"(CASE {' '.join(arms)} ELSE 'other' END)"


@cache
def load_taxonomy() -> Taxonomy:
    text = resources.files("tocsin.schema").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    data = yaml_load(text)
    rules = tuple(Rule(**rule) for rule in data["rules"])
    unknown = {r.category for r in rules} - set(data["categories"])
    if unknown:
        raise ValueError(f"taxonomy.yaml: rules use undefined categories {sorted(unknown)}")
    return Taxonomy(dict(data["categories"]), rules)
