"""Briefs: each organisation's digit style for Arabic (Western or Arabic-Indic) and its asks,
a short text per brief (organisation, day, language).

Revision ID: 0011
Revises: 0009 (field reports)
Create Date: 2026-12-01

Written by hand and frozen.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("digits", sa.String(16), nullable=False, server_default="western"))
        batch.create_check_constraint("digits_style", "digits IN ('western', 'arabic_indic')")
    op.create_table(
        "brief_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_asks")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_brief_asks_organisation_id_organisations")),
        sa.UniqueConstraint("organisation_id", "as_of", "lang",
                            name=op.f("uq_brief_asks_organisation_id_as_of_lang")),
        sa.CheckConstraint("length(text) <= 1500", name=op.f("ck_brief_asks_short")),
    )


def downgrade() -> None:
    op.drop_table("brief_asks")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("digits_style", type_="check")
        batch.drop_column("digits")
