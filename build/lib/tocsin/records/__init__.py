"""The records database: case work that people edit (incidents, actors, users, organisations).

Models live in :mod:`tocsin.records.models`; engines, sessions and migrations in
:mod:`tocsin.records.db`. Events themselves stay in the Parquet lake; an incident only
points at them by ``event_uid``.
"""

from tocsin.records.db import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    session_factory,
    upgrade,
)

__all__ = [
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "session_factory",
    "upgrade",
]
