"""Alerts of a second kind: clusters of independent field reports (a siege sign or an attack
at one place within hours). ``kind`` says which; a cluster fills sign, reports, reporters and
first_day instead of the stage columns, which become nullable.

Revision ID: 0013
Revises: 0011 (briefs; issue 12's 0012 revises 0011 too: the lead chains them at merge)
Create Date: 2026-12-02

Written by hand and frozen.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_FIELDS = (
    "(kind = 'siege' AND stage IS NOT NULL AND stage_rank IS NOT NULL "
    "AND previous_stage IS NOT NULL) OR (kind = 'report_cluster' AND sign IS NOT NULL "
    "AND reports IS NOT NULL AND reporters IS NOT NULL AND first_day IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="siege"))
        batch.add_column(sa.Column("sign", sa.String(40), nullable=True))
        batch.add_column(sa.Column("reports", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reporters", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_day", sa.Date(), nullable=True))
        for column in ("stage", "previous_stage"):
            batch.alter_column(column, existing_type=sa.String(20), nullable=True)
        batch.alter_column("stage_rank", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint(op.f("ck_alerts_kind"), "kind IN ('siege', 'report_cluster')")
        batch.create_check_constraint(op.f("ck_alerts_kind_fields"), KIND_FIELDS)
        batch.create_unique_constraint(op.f("uq_alerts_place_id_sign_first_day_reporters"),
                                       ["place_id", "sign", "first_day", "reporters"])


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE kind <> 'siege'")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("uq_alerts_place_id_sign_first_day_reporters"), type_="unique")
        batch.drop_constraint(op.f("ck_alerts_kind_fields"), type_="check")
        batch.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch.alter_column("stage_rank", existing_type=sa.Integer(), nullable=False)
        for column in ("stage", "previous_stage"):
            batch.alter_column(column, existing_type=sa.String(20), nullable=False)
        for column in ("first_day", "reporters", "reports", "sign", "kind"):
            batch.drop_column(column)
