"""Alerts: siege escalations recorded once in the records database, acknowledged by analysts,
and delivered to webhooks (signed, retried, every attempt recorded)."""
