"""The HTTP APIs of the web process, one module per resource (the live state, workers, patrol, tracks, coverage,
alerts, Prometheus metrics; tickets, ticket metrics and Open311, mounted by :mod:`ticket_routes`), with their
schemas and the OpenAPI document; :mod:`dashboard.api.errors` is what they all share.

Every API answers refusals in one JSON shape, ``{"error": code, "message": sentence}`` (GeoReport's list under
``/open311/``), built by :mod:`dashboard.api.errors`; callers and scopes come from :mod:`dashboard.api.access`,
local days from :mod:`dashboard.api.days`.
"""
