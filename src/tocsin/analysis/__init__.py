"""Analyses: pure functions over Arrow tables (no I/O, no clock); commands do the I/O."""
