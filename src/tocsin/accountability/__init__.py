"""Accountability: incidents qualified against the elements of crimes, actors and their links as
FollowTheMoney entities, sanctions lists resolved across authorities, and dossiers.

- :mod:`.elements`: the legal elements (versioned YAML data) and the UN risk factors.
- :mod:`.qualification`: per-element assessments with two-person review in the custody log.
- :mod:`.entities`: FtM entities in the records database (actors, units, links, sanctions).
- :mod:`.sanctions`: the UN, UK, US and FtM JSON-lines parsers and :func:`import_sanctions`.
- :mod:`.resolve`: the same person or company across lists and against Tocsin's actors.
- :mod:`.dossier`: what is known about an actor, as HTML, PDF and FtM JSON lines.
"""
