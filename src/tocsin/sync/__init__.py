"""Sync: one connector per publisher API, pulling incrementally into the ingest pipeline.

``base`` holds the connector base class and the driver, ``http`` the transport and the retrying
client, ``replay`` the transport that answers from recorded replies (tests, the demo), and
``connectors/`` one module per publisher. The field tools' connectors (KoboToolbox, ODK Central:
``kobo``, ``odk``) stand on the same base and client; their driver (``field``) feeds field
reports into the records database and the evidence locker; `tocsin sync kobo|odk` reaches them,
and ``field_replay`` answers as those tools do in the replay publisher.
"""
