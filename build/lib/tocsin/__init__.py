"""Tocsin: see mass atrocities coming and document them."""

__version__ = "0.1.0"
