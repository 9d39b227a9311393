"""Alerts of siege escalations, webhooks, and every attempt to deliver an alert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Written by hand and frozen, like 0001. (Numbered 0003: the evidence locker added 0002 in
parallel; chained after it when the two were merged.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = ("threatened", "encircled", "cut_off", "under_assault", "overrun")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _now() -> sa.sql.elements.TextClause:
    return sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.String(100), nullable=False),
        sa.Column("place_name", sa.String(300), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("stage_rank", sa.Integer(), nullable=False),
        sa.Column("previous_stage", sa.String(20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("exposed", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("place_id", "stage", "day", name=op.f("uq_alerts_place_id_stage_day")),
        sa.CheckConstraint(_in("stage", STAGES), name=op.f("ck_alerts_stage")),
        sa.CheckConstraint(_in("previous_stage", ("calm", *STAGES)),
                           name=op.f("ck_alerts_previous_stage")),
        sa.CheckConstraint(_in("status", ("open", "acknowledged")), name=op.f("ck_alerts_status")),
        sa.CheckConstraint("(status = 'acknowledged') = (acknowledged_at IS NOT NULL)",
                           name=op.f("ck_alerts_acknowledged")),
    )
    op.create_index(op.f("ix_alerts_place_id"), "alerts", ["place_id"])
    op.create_index(op.f("ix_alerts_status_day"), "alerts", ["status", "day"])

    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("url", name=op.f("uq_webhooks_url")),
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name=op.f("fk_webhook_deliveries_alert_id_alerts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"],
                                name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
                                ondelete="CASCADE"),
        sa.UniqueConstraint("alert_id", "webhook_id", "attempt",
                            name=op.f("uq_webhook_deliveries_alert_id_webhook_id_attempt")),
    )
    op.create_index(op.f("ix_webhook_deliveries_alert_id"), "webhook_deliveries", ["alert_id"])
    op.create_index(op.f("ix_webhook_deliveries_webhook_id"), "webhook_deliveries", ["webhook_id"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("alerts")
