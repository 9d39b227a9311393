"""Alembic migrations of the records database, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tocsin.records.db import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from tocsin.records.models import Base, Organisation

RECORD_TABLES = {
    "organisations",
    "users",
    "actors",
    "incidents",
    "incident_events",
    "incident_actors",
    # 0002: the evidence locker
    "evidence_items",
    "evidence_links",
    "evidence_keys",
    "custody_entries",
    "signing_keys",
    "timestamp_authorities",
    "timestamp_checkpoints",
    "timestamp_tokens",
    # 0003: alerts
    "alerts",
    "webhooks",
    "webhook_deliveries",
    # 0008: accountability (entities, matches, areas, routes, legal assessments)
    "ftm_entities", "entity_matches", "unit_areas", "supply_routes", "legal_assessments",
    # 0004: the web app
    "web_sessions",
    "api_tokens",
    "login_attempts",
    # 0006: sourced changes of control (the siege tracker)
    "control_changes",
    # 0007: alert acknowledgements per organisation
    "alert_acknowledgements",
    # 0009: field reports
    "field_reports",
    "field_report_attachments",
    "field_report_identities",
    "field_report_views",
    "intake_bookmarks",
    "intake_responders",
    "responder_alerts",
    # 0011: each organisation's asks per brief (and its digit style, a column)
    "brief_asks",
}


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def count_organisations(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(Organisation))
    finally:
        engine.dispose()


def add_organisation(url: str, name: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(Organisation).values(name=name))
    finally:
        engine.dispose()


def test_head_is_the_report_cluster_alerts_migration() -> None:
    assert head_revision() == "0013"
    script = ScriptDirectory.from_config(alembic_config())
    assert [r.revision for r in script.walk_revisions()] == [
        "0013", "0011", "0009", "0008", "0007", "0006", "0004", "0003", "0002", "0001"]


def test_upgrade_to_head_creates_all_tables(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert table_names(db_url) == set()

    upgrade(db_url)

    assert table_names(db_url) == RECORD_TABLES | {"alembic_version"}
    assert current_revision(db_url) == head_revision()
    engine = make_engine(db_url)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("incidents")}
    finally:
        engine.dispose()
    assert columns == {
        "id", "organisation_id", "title", "description", "category", "occurred_from",
        "occurred_to", "place_id", "admin1_pcode", "admin2_pcode", "lat", "lon", "status",
        "created_by", "created_at", "updated_at",
    }


def test_upgrade_is_idempotent_and_keeps_data(db_url: str) -> None:
    upgrade(db_url)
    add_organisation(db_url, "Sudan Witness Network")

    upgrade(db_url)
    upgrade(db_url, "head")

    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == RECORD_TABLES | {"alembic_version"}
    assert count_organisations(db_url) == 1


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    upgrade(db_url)
    add_organisation(db_url, "Darfur Bar Association")

    downgrade(db_url, "base")

    assert current_revision(db_url) is None
    assert table_names(db_url) & RECORD_TABLES == set()

    upgrade(db_url)

    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == RECORD_TABLES | {"alembic_version"}
    assert count_organisations(db_url) == 0  # the old rows went with the old tables


def test_failed_migration_leaves_database_untouched(db_url: str) -> None:
    """DDL is transactional on both backends: a migration failing half-way undoes itself."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:  # a stray table in the way of 0001
            connection.exec_driver_sql("CREATE TABLE incident_events (x INTEGER)")
    finally:
        engine.dispose()

    with pytest.raises(sa.exc.DatabaseError):
        upgrade(db_url)

    # organisations, users, actors and incidents were created before the failure: all gone.
    assert table_names(db_url) == {"incident_events"}
    assert current_revision(db_url) is None


def test_migration_matches_models(db_url: str) -> None:
    """The hand-written migration creates exactly what the models describe."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

            inspector = sa.inspect(connection)
            for table in Base.metadata.sorted_tables:
                model_checks = {
                    c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)
                }
                db_checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
                assert db_checks == model_checks, table.name

                model_fks = {
                    (
                        tuple(fk.column_keys),
                        fk.referred_table.name,
                        (fk.ondelete or "").upper(),
                    )
                    for fk in table.foreign_key_constraints
                }
                db_fks = {
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        fk["options"].get("ondelete", "").upper(),
                    )
                    for fk in inspector.get_foreign_keys(table.name)
                }
                assert db_fks == model_fks, table.name
                model_pk = [c.name for c in table.primary_key.columns]
                pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
                assert pk == model_pk, table.name
    finally:
        engine.dispose()


def test_concurrent_upgrades_both_succeed(db_url: str) -> None:
    """Processes initialising the same database at once: one migrates, the others wait."""
    code = "import sys; from tocsin.records.db import upgrade; upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == RECORD_TABLES | {"alembic_version"}
