"""Briefings: the situation report in HTML and PDF, English and Arabic."""
