"""The queries jobs read the lake with, written once."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def events_with_links(con: duckdb.DuckDBPyConnection, columns: str, derived: dict[str, object],
                      order: str = "") -> pa.Table:
    """Events (alias ``e``) joined to their event links (alias ``l``: place_id, link_level,
    admin2_pcode) when the links exist; without them the link columns are NULL, so a
    workspace with events and no places yet still reads."""
    if "event_links" in derived:
        source = "events e LEFT JOIN event_links l USING (event_uid)"
    else:
        source = ("events e LEFT JOIN (SELECT NULL::VARCHAR AS event_uid, NULL::VARCHAR AS place_id, "
                  "NULL::VARCHAR AS link_level, NULL::VARCHAR AS admin2_pcode) l USING (event_uid)")
    return con.sql(f"SELECT {columns} FROM {source} {order}").to_arrow_table()
