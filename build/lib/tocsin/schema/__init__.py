"""The canonical data model, kept as data (tables.yaml, taxonomy.yaml)."""
