"""Alert acknowledgements per organisation: one organisation's acknowledgement no longer
closes an alert for every other (issue 14).

Revision ID: 0007
Revises: 0006 (control changes)
Create Date: 2026-12-01

Written by hand and frozen.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_acknowledgements",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(200), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_acknowledgements_alert_id_alerts")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_acknowledgements_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("alert_id", "organisation_id",
                                name=op.f("pk_alert_acknowledgements")),
    )


def downgrade() -> None:
    op.drop_table("alert_acknowledgements")
