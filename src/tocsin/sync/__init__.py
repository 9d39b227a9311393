"""Sync: one connector per publisher API, pulling incrementally into the ingest pipeline.

``base`` holds the connector base class and the driver, ``http`` the transport and the retrying
client, ``replay`` the transport that answers from recorded replies (tests, the demo), and
``connectors/`` one module per publisher. The field tools' connectors (KoboToolbox, ODK Central:
``kobo``, ``odk``) feed field reports into the records database and the evidence locker
(tocsin.intake.connector); `tocsin sync kobo|odk` reaches them.
"""
