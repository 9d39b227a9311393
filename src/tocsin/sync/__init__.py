"""Connectors to publishers' and field tools' APIs (issue 12 owns the package's base; the
KoboToolbox and ODK Central connectors of field intake live here, see tocsin.intake.connector)."""
