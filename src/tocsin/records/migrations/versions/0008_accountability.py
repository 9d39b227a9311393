"""Accountability: FtM entities, cross-list matches, units' areas of operations, supply routes,
legal assessments of incidents.

Revision ID: 0008
Revises: 0007 (alert acknowledgements)
Create Date: 2026-12-01

Written by hand; tests/records compares it with tocsin.records.accountability_models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM = "status IN ('accepted', 'contested', 'needs_work')"


def _timestamp(name: str, nullable: bool = False, server_default: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.current_timestamp() if server_default else None)


def _json_list(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))


def _status() -> sa.Column:
    return sa.Column("status", sa.String(20), nullable=False, server_default="accepted")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "ftm_entities",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("schema", sa.String(50), nullable=False),
        sa.Column("caption", sa.String(500), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("dataset", sa.String(50), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        _status(),
        _json_list("sources"),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _timestamp("created_at", server_default=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ftm_entities")),
        sa.CheckConstraint(CLAIM, name=op.f("ck_ftm_entities_status")),
        _fk("ftm_entities", "organisation_id", "organisations", "RESTRICT"),
        _fk("ftm_entities", "actor_id", "actors", "SET NULL"),
        _fk("ftm_entities", "created_by", "users", "SET NULL"),
    )
    for column in ("schema", "caption", "dataset", "organisation_id", "actor_id"):
        op.create_index(op.f(f"ix_ftm_entities_{column}"), "ftm_entities", [column])

    op.create_table(
        "entity_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("left_id", sa.String(200), nullable=False),
        sa.Column("right_id", sa.String(200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(50), nullable=False),
        sa.Column("judgement", sa.String(20), nullable=False, server_default="suggested"),
        sa.Column("decided_by", sa.String(100), nullable=True),
        _timestamp("decided_at", nullable=True),
        _timestamp("created_at", server_default=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_matches")),
        sa.CheckConstraint("judgement IN ('suggested', 'positive', 'negative')",
                           name=op.f("ck_entity_matches_judgement")),
        sa.CheckConstraint("left_id < right_id", name=op.f("ck_entity_matches_ordered")),
        sa.UniqueConstraint("left_id", "right_id", name=op.f("uq_entity_matches_left_id_right_id")),
        sa.ForeignKeyConstraint(["left_id"], ["ftm_entities.id"], ondelete="CASCADE",
                                name=op.f("fk_entity_matches_left_id_ftm_entities")),
        sa.ForeignKeyConstraint(["right_id"], ["ftm_entities.id"], ondelete="CASCADE",
                                name=op.f("fk_entity_matches_right_id_ftm_entities")),
    )
    op.create_index(op.f("ix_entity_matches_right_id"), "entity_matches", ["right_id"])

    op.create_table(
        "unit_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("place_id", sa.String(100), nullable=True),
        sa.Column("admin2_pcode", sa.String(20), nullable=True),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=True),
        _status(),
        _json_list("sources"),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        _timestamp("created_at", server_default=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_areas")),
        sa.CheckConstraint(CLAIM, name=op.f("ck_unit_areas_status")),
        sa.CheckConstraint("date_to IS NULL OR date_to >= date_from",
                           name=op.f("ck_unit_areas_date_order")),
        sa.ForeignKeyConstraint(["entity_id"], ["ftm_entities.id"], ondelete="CASCADE",
                                name=op.f("fk_unit_areas_entity_id_ftm_entities")),
        _fk("unit_areas", "organisation_id", "organisations", "RESTRICT"),
    )
    for column in ("entity_id", "place_id", "organisation_id"):
        op.create_index(op.f(f"ix_unit_areas_{column}"), "unit_areas", [column])

    op.create_table(
        "supply_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        _json_list("places"),
        sa.Column("protected_by", sa.String(200), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        _status(),
        _json_list("sources"),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        _timestamp("created_at", server_default=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_routes")),
        sa.CheckConstraint(CLAIM, name=op.f("ck_supply_routes_status")),
        sa.CheckConstraint("date_to IS NULL OR date_from IS NULL OR date_to >= date_from",
                           name=op.f("ck_supply_routes_date_order")),
        sa.ForeignKeyConstraint(["protected_by"], ["ftm_entities.id"], ondelete="CASCADE",
                                name=op.f("fk_supply_routes_protected_by_ftm_entities")),
        _fk("supply_routes", "organisation_id", "organisations", "RESTRICT"),
    )
    for column in ("protected_by", "organisation_id"):
        op.create_index(op.f(f"ix_supply_routes_{column}"), "supply_routes", [column])

    op.create_table(
        "legal_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("situation", sa.String(100), nullable=True),
        sa.Column("element_id", sa.String(50), nullable=False),
        sa.Column("context", sa.String(50), nullable=True),
        sa.Column("elements_version", sa.String(20), nullable=False),
        sa.Column("assessment", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _json_list("evidence_items"),
        _json_list("event_uids"),
        sa.Column("protected_group", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _timestamp("created_at", server_default=True),
        sa.Column("custody_seq", sa.Integer(), nullable=False),
        sa.Column("signed_off_by", sa.Integer(), nullable=True),
        _timestamp("signed_off_at", nullable=True),
        sa.Column("signoff_seq", sa.Integer(), nullable=True),
        sa.Column("supersedes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_assessments")),
        sa.CheckConstraint("assessment IN ('supported', 'contested', 'insufficient', "
                           "'not_assessed')", name=op.f("ck_legal_assessments_assessment")),
        sa.CheckConstraint("status IN ('draft', 'signed_off', 'superseded')",
                           name=op.f("ck_legal_assessments_status")),
        sa.CheckConstraint("(incident_id IS NULL) <> (situation IS NULL)",
                           name=op.f("ck_legal_assessments_subject")),
        sa.CheckConstraint("status <> 'signed_off' OR signed_off_by IS NOT NULL",
                           name=op.f("ck_legal_assessments_signed")),
        _fk("legal_assessments", "organisation_id", "organisations", "RESTRICT"),
        _fk("legal_assessments", "incident_id", "incidents", "RESTRICT"),
        _fk("legal_assessments", "created_by", "users", "RESTRICT"),
        _fk("legal_assessments", "signed_off_by", "users", "RESTRICT"),
        _fk("legal_assessments", "supersedes", "legal_assessments", "RESTRICT"),
    )
    op.create_index(op.f("ix_legal_assessments_organisation_id"), "legal_assessments",
                    ["organisation_id"])
    op.create_index(op.f("ix_legal_assessments_incident_id_element_id"), "legal_assessments",
                    ["incident_id", "element_id"])
    op.create_index(op.f("ix_legal_assessments_situation_context"), "legal_assessments",
                    ["situation", "context"])


def downgrade() -> None:
    for table in ("legal_assessments", "supply_routes", "unit_areas", "entity_matches",
                  "ftm_entities"):
        op.drop_table(table)
