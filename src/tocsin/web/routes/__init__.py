"""Route groups of the web app: api (JSON), pages (HTML), alerts (both), admin (users),
evidence (upload, viewer)."""
