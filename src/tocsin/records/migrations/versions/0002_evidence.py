"""Evidence locker: items, links, wrapped keys, custody log, signing keys, timestamps.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-24

Written by hand and frozen, like 0001: it does not import the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _timestamp(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp()
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("sensitivity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("metadata_sha256", sa.String(64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("content_nonce", sa.String(64), nullable=True),
        sa.Column("collector", sa.String(200), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place_id", sa.String(100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("derived_from", sa.Integer(), nullable=True),
        sa.Column("original", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        _timestamp("added_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        _fk("evidence_items", "organisation_id", "organisations", "RESTRICT"),
        _fk("evidence_items", "derived_from", "evidence_items", "RESTRICT"),
        _fk("evidence_items", "added_by", "users", "RESTRICT"),
        sa.CheckConstraint(_in("sensitivity", ("public", "restricted", "confidential")),
                           name=op.f("ck_evidence_items_sensitivity")),
        sa.CheckConstraint(_in("status", ("active", "deleted")),
                           name=op.f("ck_evidence_items_status")),
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)",
                           name=op.f("ck_evidence_items_lat_range")),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)",
                           name=op.f("ck_evidence_items_lon_range")),
    )
    for column in ("organisation_id", "sha256", "place_id", "derived_from", "added_by"):
        op.create_index(op.f(f"ix_evidence_items_{column}"), "evidence_items", [column])

    op.create_table(
        "evidence_links",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "kind", "target", name=op.f("pk_evidence_links")),
        sa.ForeignKeyConstraint(["item_id"], ["evidence_items.id"],
                                name=op.f("fk_evidence_links_item_id_evidence_items"),
                                ondelete="CASCADE"),
        sa.CheckConstraint(_in("kind", ("incident", "event")), name=op.f("ck_evidence_links_kind")),
    )
    op.create_index(op.f("ix_evidence_links_target"), "evidence_links", ["target"])

    op.create_table(
        "evidence_keys",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "organisation_id", name=op.f("pk_evidence_keys")),
        sa.ForeignKeyConstraint(["item_id"], ["evidence_items.id"],
                                name=op.f("fk_evidence_keys_item_id_evidence_items"),
                                ondelete="CASCADE"),
        _fk("evidence_keys", "organisation_id", "organisations", "RESTRICT"),
    )

    op.create_table(
        "custody_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_custody_entries")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_custody_entries_entry_hash")),
    )
    op.create_index(op.f("ix_custody_entries_item_id"), "custody_entries", ["item_id"])

    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_signing_keys")),
        _fk("signing_keys", "organisation_id", "organisations", "RESTRICT"),
    )
    op.create_index(op.f("ix_signing_keys_organisation_id"), "signing_keys", ["organisation_id"])

    op.create_table(
        "timestamp_authorities",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("ca_pem", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_timestamp_authorities")),
    )

    op.create_table(
        "timestamp_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("leaves", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timestamp_checkpoints")),
    )

    op.create_table(
        "timestamp_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(100), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timestamp_tokens")),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["timestamp_checkpoints.id"],
                                name=op.f("fk_timestamp_tokens_checkpoint_id_timestamp_checkpoints"),
                                ondelete="RESTRICT"),
        sa.CheckConstraint(_in("status", ("queued", "stamped", "failed")),
                           name=op.f("ck_timestamp_tokens_status")),
    )
    op.create_index(op.f("ix_timestamp_tokens_checkpoint_id"), "timestamp_tokens",
                    ["checkpoint_id"])


def downgrade() -> None:
    for table in ("timestamp_tokens", "timestamp_checkpoints", "timestamp_authorities",
                  "signing_keys", "custody_entries", "evidence_keys", "evidence_links",
                  "evidence_items"):
        op.drop_table(table)
