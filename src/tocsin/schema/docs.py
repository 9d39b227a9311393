"""Writes docs/schema.md from tables.yaml and taxonomy.yaml: `python -m tocsin.schema.docs`."""

from __future__ import annotations

import sys
from pathlib import Path

from tocsin.schema.tables import BATCH_COLUMNS, PROVENANCE, TABLES
from tocsin.schema.taxonomy import load_taxonomy

HEADER = """# Tocsin's canonical tables

Generated from `src/tocsin/schema/tables.yaml` by `python -m tocsin.schema.docs docs/schema.md`;
edit the YAML, not this file (a test checks they agree).

The lake holds one Parquet dataset per table under `lake/TABLE/`, one file per ingested batch,
listed in `lake/_manifest.json`. Query it with `tocsin.lake.Lake(path).connect()` (DuckDB views)
or read the files named in the manifest with any Parquet reader (Spark, Polars, pandas).
"""


def render() -> str:
    lines = [HEADER, "## Provenance: on every row of every table", "",
             f"{', '.join(BATCH_COLUMNS)} are the same for every row of a batch: each Parquet "
             "file keeps them once, in its key-value metadata (and the manifest keeps them per "
             "batch); reading the lake joins them onto every row.", "",
             "| column | type | meaning |", "|---|---|---|"]
    lines += [f"| {c.name} | {c.sql_type} | {c.about} |" for c in PROVENANCE]
    for table in TABLES.values():
        lines += ["", f"## {table.name}", "", table.about, ""]
        if table.identity != ("source_id",):
            lines += [f"A row is identified by ({', '.join(table.identity)}): rows the lake "
                      "already holds with the same values are not ingested again.", ""]
        if table.computed:
            lines += [f"Computed when read, not stored: {', '.join(table.computed)}.", ""]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        lines += [f"| {c.name} | {c.sql_type} | {c.about} |" for c in table.columns]
    lines += ["", "## Derived tables (rebuilt after each ingest)", "",
              "- `gazetteer`: one row per real place merged from all place sources "
              "(place_id, names, class, point, settlement radius, population, admin P-codes, "
              "HIU status, sources and source ids). See docs/methods/gazetteer.md.",
              "- `place_names`: every name of every place with its normalised form and name key.",
              "- `event_links`: for each event, the place and admin areas it is linked to, and "
              "at which level (exact, near, admin2, admin1, region, country).",
              "- `forecasts` (written by `tocsin forecast --store`, not by ingest): per place, "
              "date and horizon, the probability of an atrocity-grade event, the exposed "
              "population and the reasons in words. See docs/methods/forecast.md.",
              "", "## Event categories (taxonomy.yaml)", "", "| category | meaning |", "|---|---|"]
    taxonomy = load_taxonomy()
    lines += [f"| {k} | {v} |" for k, v in taxonomy.categories.items()]
    lines += ["", "### How source categories map (first matching rule wins)", "",
              "The source's own categories are kept beside the canonical one "
              "(`source_category`, `source_subcategory`).", "",
              "| source | event type | sub-event type | notes mention | category |",
              "|---|---|---|---|---|"]
    lines += [f"| {r.source} | {r.event_type or 'any'} | {r.sub_event_type or 'any'} | "
              f"{(r.notes_pattern or '').replace('|', ' or ')} | {r.category} |"
              for r in taxonomy.rules]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target:
        target.write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
