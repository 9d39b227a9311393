"""Analyses: pure functions from Arrow tables to Arrow tables (no I/O, no clock)."""
