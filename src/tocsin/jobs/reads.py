"""The queries jobs read the lake with, written once."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def events_with_links(con: duckdb.DuckDBPyConnection, columns: str, derived: dict[str, object],
                      order: str = "") -> pa.Table:
    """Events (alias ``e``) joined to their event links (alias ``l``: place_id, link_level,
    admin1_pcode, admin2_pcode) when the links exist; without them the link columns are NULL,
    so a workspace with events and no places yet still reads.

    Verified field reports (the derived ``field_report_events``, issue 16) count as events
    here, so the siege tracker and the forecast see them: one row per report and category,
    linked to the place the report was matched to, with NULL where a report says nothing
    (deaths of civilians, actors)."""
    events, links = "events", "event_links"
    if "field_report_events" in derived:
        events = ("(SELECT * FROM events UNION ALL BY NAME SELECT event_uid, date_start, date_end, "
                  "published_at, category, latitude, longitude, location_precision, fatalities, "
                  "source FROM field_report_events)")
        links = ("(SELECT * FROM event_links UNION ALL BY NAME SELECT event_uid, place_id, "
                 "location_precision AS link_level FROM field_report_events)")
    if "event_links" in derived:
        source = f"{events} e LEFT JOIN {links} l USING (event_uid)"
    else:
        source = (f"{events} e LEFT JOIN (SELECT NULL::VARCHAR AS event_uid, NULL::VARCHAR AS place_id, "
                  "NULL::VARCHAR AS link_level, NULL::VARCHAR AS admin1_pcode, "
                  "NULL::VARCHAR AS admin2_pcode) l USING (event_uid)")
    return con.sql(f"SELECT {columns} FROM {source} {order}").to_arrow_table()
