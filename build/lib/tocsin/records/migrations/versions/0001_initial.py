"""Initial records schema: organisations, users, actors, incidents and their links.

Revision ID: 0001
Revises:
Create Date: 2025-11-24

Written by hand. It is frozen: it does not import the models, so it creates the same
tables whatever the models become later. Every constraint is named (op.f) to match the
naming convention in tocsin.records.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _timestamp(name: str) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.current_timestamp(),
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False, server_default="viewer"),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("language", sa.String(2), nullable=False, server_default="en"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.CheckConstraint(
            _in("role", ("admin", "analyst", "monitor", "viewer")), name=op.f("ck_users_role")
        ),
        sa.CheckConstraint(_in("language", ("en", "ar")), name=op.f("ck_users_language")),
    )
    op.create_index(op.f("ix_users_organisation_id"), "users", ["organisation_id"])

    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source", sa.String(50), nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_actors_source_source_id")),
        sa.CheckConstraint(
            _in(
                "kind",
                (
                    "armed_group",
                    "state_force",
                    "militia",
                    "company",
                    "person",
                    "organisation",
                    "other",
                ),
            ),
            name=op.f("ck_actors_kind"),
        ),
    )
    op.create_index(op.f("ix_actors_name"), "actors", ["name"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("occurred_from", sa.Date(), nullable=False),
        sa.Column("occurred_to", sa.Date(), nullable=True),
        sa.Column("place_id", sa.String(100), nullable=True),
        sa.Column("admin1_pcode", sa.String(20), nullable=True),
        sa.Column("admin2_pcode", sa.String(20), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_incidents_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_incidents_created_by_users"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            _in("status", ("open", "verified", "closed")), name=op.f("ck_incidents_status")
        ),
        sa.CheckConstraint(
            "occurred_to IS NULL OR occurred_to >= occurred_from",
            name=op.f("ck_incidents_occurred_order"),
        ),
        sa.CheckConstraint(
            "lat IS NULL OR (lat >= -90 AND lat <= 90)", name=op.f("ck_incidents_lat_range")
        ),
        sa.CheckConstraint(
            "lon IS NULL OR (lon >= -180 AND lon <= 180)", name=op.f("ck_incidents_lon_range")
        ),
        sa.CheckConstraint(
            "(lat IS NULL) = (lon IS NULL)", name=op.f("ck_incidents_lat_lon_together")
        ),
    )
    op.create_index(op.f("ix_incidents_organisation_id"), "incidents", ["organisation_id"])
    op.create_index(op.f("ix_incidents_category"), "incidents", ["category"])
    op.create_index(op.f("ix_incidents_place_id"), "incidents", ["place_id"])
    op.create_index(op.f("ix_incidents_created_by"), "incidents", ["created_by"])
    op.create_index(op.f("ix_incidents_occurred_from"), "incidents", ["occurred_from"])
    op.create_index(
        op.f("ix_incidents_admin1_pcode_admin2_pcode"),
        "incidents",
        ["admin1_pcode", "admin2_pcode"],
    )

    op.create_table(
        "incident_events",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("event_uid", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "event_uid", name=op.f("pk_incident_events")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(op.f("ix_incident_events_event_uid"), "incident_events", ["event_uid"])

    op.create_table(
        "incident_actors",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint(
            "incident_id", "actor_id", "role", name=op.f("pk_incident_actors")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_actors_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_incident_actors_actor_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            _in("role", ("perpetrator", "victim", "supplier", "financier", "witness", "other")),
            name=op.f("ck_incident_actors_role"),
        ),
    )
    op.create_index(op.f("ix_incident_actors_actor_id"), "incident_actors", ["actor_id"])


def downgrade() -> None:
    op.drop_table("incident_actors")
    op.drop_table("incident_events")
    op.drop_table("incidents")
    op.drop_table("actors")
    op.drop_table("users")
    op.drop_table("organisations")
