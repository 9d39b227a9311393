"""Scoring forecasts: metrics that stream over many origins."""
