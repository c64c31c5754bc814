"""The HTTP APIs of the web process, one module per resource; :mod:`dashboard.api.errors` is what they share.

Every API answers refusals in one JSON shape, ``{"error": code, "message": sentence}`` (GeoReport's list under
``/open311/``), built by :mod:`dashboard.api.errors`; callers and scopes come from :mod:`dashboard.api.access`,
local days from :mod:`dashboard.api.days`.
"""
