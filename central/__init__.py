"""The central service: ingest, store, watch lists, workflows, reports, API and the supervisor dashboard."""
