"""Field reports from KoboToolbox, ODK Central and hand-carried exports: reports, attachments
(locker items), encrypted identities, views, sync bookmarks, responders and their alerts.

Revision ID: 0009
Revises: 0008 (accountability)
Create Date: 2026-12-01

Written by hand and frozen, like 0001; must describe tocsin.records.intake_models exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _now() -> sa.sql.elements.TextClause:
    return sa.func.current_timestamp()


def _json(name: str, default: str) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text(f"'{default}'"))


def upgrade() -> None:
    op.create_table(
        "field_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("form_id", sa.String(200), nullable=False),
        sa.Column("instance_id", sa.String(200), nullable=False),
        sa.Column("submission_id", sa.String(100), nullable=True),
        sa.Column("collector", sa.String(200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        _json("categories", "[]"),
        _json("signs", "[]"),
        sa.Column("place_id", sa.String(100), nullable=True),
        sa.Column("place_name", sa.String(300), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_from", sa.String(20), nullable=True),
        _json("content", "{}"),
        sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("kek_id", sa.String(64), nullable=True),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        _json("problems", "[]"),
        sa.Column("attachments_expected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("triage", sa.String(20), nullable=False, server_default="new"),
        sa.Column("verification", sa.String(20), nullable=False, server_default="unverified"),
        sa.Column("verified_by", sa.String(100), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_reports")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_field_reports_organisation_id_organisations"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_field_reports_incident_id_incidents"),
                                ondelete="SET NULL"),
        sa.UniqueConstraint("organisation_id", "instance_id",
                            name=op.f("uq_field_reports_organisation_id_instance_id")),
        sa.CheckConstraint(_in("source", ("kobo", "odk", "file")), name=op.f("ck_field_reports_source")),
        sa.CheckConstraint(_in("triage", ("new", "needs_review", "triaged", "rejected")),
                           name=op.f("ck_field_reports_triage")),
        sa.CheckConstraint(_in("verification", ("unverified", "corroborated", "verified")),
                           name=op.f("ck_field_reports_verification")),
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)",
                           name=op.f("ck_field_reports_lat_range")),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)",
                           name=op.f("ck_field_reports_lon_range")),
    )
    op.create_index(op.f("ix_field_reports_organisation_id"), "field_reports", ["organisation_id"])
    op.create_index(op.f("ix_field_reports_incident_id"), "field_reports", ["incident_id"])
    op.create_index(op.f("ix_field_reports_place_id_occurred_on"), "field_reports",
                    ["place_id", "occurred_on"])

    op.create_table(
        "field_report_attachments",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(100), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("report_id", "name", name=op.f("pk_field_report_attachments")),
        sa.ForeignKeyConstraint(["report_id"], ["field_reports.id"],
                                name=op.f("fk_field_report_attachments_report_id_field_reports"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["evidence_items.id"],
                                name=op.f("fk_field_report_attachments_item_id_evidence_items"),
                                ondelete="RESTRICT"),
    )
    op.create_index(op.f("ix_field_report_attachments_item_id"), "field_report_attachments", ["item_id"])

    op.create_table(
        "field_report_identities",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "kind", name=op.f("pk_field_report_identities")),
        sa.ForeignKeyConstraint(["report_id"], ["field_reports.id"],
                                name=op.f("fk_field_report_identities_report_id_field_reports"),
                                ondelete="CASCADE"),
        sa.CheckConstraint(_in("kind", ("reporter", "survivor")),
                           name=op.f("ck_field_report_identities_kind")),
    )

    op.create_table(
        "field_report_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(50), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_report_views")),
        sa.ForeignKeyConstraint(["report_id"], ["field_reports.id"],
                                name=op.f("fk_field_report_views_report_id_field_reports"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_field_report_views_user_id_users"), ondelete="RESTRICT"),
    )
    op.create_index(op.f("ix_field_report_views_user_id"), "field_report_views", ["user_id"])
    op.create_index(op.f("ix_field_report_views_report_id_viewed_at"), "field_report_views",
                    ["report_id", "viewed_at"])

    op.create_table(
        "intake_bookmarks",
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("bookmark", sa.String(300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_intake_bookmarks")),
    )

    op.create_table(
        "intake_responders",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_intake_responders")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_intake_responders_user_id_users"), ondelete="CASCADE"),
    )

    op.create_table(
        "responder_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("referral_consent", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responder_alerts")),
        sa.ForeignKeyConstraint(["report_id"], ["field_reports.id"],
                                name=op.f("fk_responder_alerts_report_id_field_reports"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_responder_alerts_organisation_id_organisations"),
                                ondelete="RESTRICT"),
        sa.UniqueConstraint("report_id", name=op.f("uq_responder_alerts_report_id")),
        sa.CheckConstraint(_in("status", ("open", "acknowledged")), name=op.f("ck_responder_alerts_status")),
    )
    op.create_index(op.f("ix_responder_alerts_organisation_id"), "responder_alerts", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("responder_alerts")
    op.drop_table("intake_responders")
    op.drop_table("intake_bookmarks")
    op.drop_table("field_report_views")
    op.drop_table("field_report_identities")
    op.drop_table("field_report_attachments")
    op.drop_table("field_reports")
