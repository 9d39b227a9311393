"""The built-in connectors: one module per publisher; importing this package registers them."""

from tocsin.sync.connectors import acled, firms, hapi, ioda, ucdp  # noqa: F401
