"""The schema and taxonomy are data; the docs are generated from them and must agree."""

from __future__ import annotations

from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from tocsin.schema.docs import render
from tocsin.schema.tables import PROVENANCE, TABLES, empty_select
from tocsin.schema.taxonomy import load_taxonomy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
REQUIRED_CATEGORIES = {"battle", "attack_on_civilians", "remote_violence", "sexual_violence",
                       "looting_destruction", "abduction", "siege_related"}
ACLED_TYPES = {
    "Battles": ["Armed clash", "Government regains territory", "Non-state actor overtakes territory"],
    "Explosions/Remote violence": ["Air/drone strike", "Shelling/artillery/missile attack",
                                   "Remote explosive/landmine/IED", "Grenade", "Suicide bomb",
                                   "Chemical weapon"],
    "Violence against civilians": ["Sexual violence", "Attack", "Abduction/forced disappearance"],
    "Protests": ["Peaceful protest", "Protest with intervention", "Excessive force against protesters"],
    "Riots": ["Violent demonstration", "Mob violence"],
    "Strategic developments": ["Agreement", "Arrests", "Change to group/activity",
                               "Disrupted weapons use", "Headquarters or base established",
                               "Looting/property destruction", "Non-violent transfer of territory",
                               "Other"],
}


def test_docs_match_the_yaml() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/schema.md is stale: run python -m tocsin.schema.docs docs/schema.md")


def test_every_table_carries_provenance_and_has_a_typed_empty_form() -> None:
    con = duckdb.connect()
    for table in TABLES.values():
        names = table.column_names
        assert len(names) == len(set(names))
        assert [c.name for c in PROVENANCE] == names[-len(PROVENANCE):]
        assert con.execute(f"SELECT * FROM ({empty_select(table.name)})").fetchall() == []


def test_taxonomy_has_the_categories_users_need() -> None:
    assert set(load_taxonomy().categories) >= REQUIRED_CATEGORIES


def test_every_acled_type_maps_somewhere_known() -> None:
    taxonomy = load_taxonomy()
    for event_type, subtypes in ACLED_TYPES.items():
        for subtype in subtypes:
            assert taxonomy.classify("acled", event_type, subtype) in taxonomy.categories
    assert taxonomy.classify("acled", "Violence against civilians", "Sexual violence") == \
        "sexual_violence"
    assert taxonomy.classify("acled", "Explosions/Remote violence", "Air/drone strike") == \
        "remote_violence"
    assert taxonomy.classify("acled", "Strategic developments", "Other",
                             "RSF fighters besieged the town and blocked all roads") == "siege_related"
    assert taxonomy.classify("ucdp-ged", "one-sided") == "attack_on_civilians"


@given(st.sampled_from([(t, s) for t, ss in ACLED_TYPES.items() for s in ss]),
       st.sampled_from(["", "they besieged El Fasher", "a checkpoint was set up", "houses burned",
                        "no notes", "Blockade of aid convoy"]))
def test_sql_and_python_classifications_agree(types: tuple[str, str], notes: str) -> None:
    taxonomy = load_taxonomy()
    event_type, subtype = types
    sql = taxonomy.sql_case("acled", "$t", "$s", "$n")
    got = duckdb.execute(f"SELECT {sql}", {"t": event_type, "s": subtype, "n": notes}).fetchone()[0]
    assert got == taxonomy.classify("acled", event_type, subtype, notes)
