"""The supervisor dashboard: server-rendered pages (Jinja2) with a plain-JS live feed (server-sent events)."""
