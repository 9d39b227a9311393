"""Siege: sourced changes of control (control_changes), and the alerts' stage list gains the
memory stages (outcome_unrecorded, fallen).

Revision ID: 0006
Revises: 0004 (the lead re-chains at merge)
Create Date: 2026-12-01

Written by hand and frozen: the stage lists are literals as of this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STAGES = ("threatened", "encircled", "cut_off", "under_assault", "overrun")
NEW_STAGES = ("threatened", "encircled", "cut_off", "outcome_unrecorded", "under_assault",
              "overrun", "fallen")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _stages(stages: tuple[str, ...]) -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("ck_alerts_stage"), type_="check")
        batch.drop_constraint(op.f("ck_alerts_previous_stage"), type_="check")
        batch.create_check_constraint(op.f("ck_alerts_stage"), _in("stage", stages))
        batch.create_check_constraint(op.f("ck_alerts_previous_stage"),
                                      _in("previous_stage", ("calm", *stages)))


def upgrade() -> None:
    op.create_table(
        "control_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.String(100), nullable=False),
        sa.Column("place_name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(300), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_changes")),
        sa.CheckConstraint("kind IN ('fell', 'returned')", name=op.f("ck_control_changes_kind")),
        sa.CheckConstraint("kind <> 'fell' OR actor IS NOT NULL",
                           name=op.f("ck_control_changes_fell_needs_actor")),
    )
    op.create_index(op.f("ix_control_changes_place_id_day"), "control_changes", ["place_id", "day"])
    _stages(NEW_STAGES)


def downgrade() -> None:
    _stages(OLD_STAGES)
    op.drop_index(op.f("ix_control_changes_place_id_day"), table_name="control_changes")
    op.drop_table("control_changes")
