"""Settings of the web process: explicit argument > ``GRIDPULSE_*`` environment variable > default."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

TILE_CRS = ("wgs84", "gcj02")


@dataclass(frozen=True)
class WebSettings:
    """Web/map settings. Units are in the names.

    tile_url        ``GRIDPULSE_TILE_URL``: an intranet raster tile template (``http://tiles.local/{z}/{x}/{y}.png``);
                    empty = no tiles at all (the map works offline on a plain background)
    tile_crs        ``GRIDPULSE_TILE_CRS``: ``wgs84`` (天地图/CGCS2000) or ``gcj02`` (AMap/Tencent); with gcj02 every
                    drawn coordinate is shifted WGS-84 → GCJ-02 (polygons on the server, dots in the browser)
    map_zoom        initial zoom; 0 = fit the district
    polygon_tolerance_deg  simplification of drawn grid outlines (1e-5° ≈ 1 m)
    wall_refresh_s  ``GRIDPULSE_WALL_REFRESH_S``: how often the wall screen re-reads its ticket panels (seconds;
                    ticket events move the heat and the feed at once, this is for the counts and rates)
    metrics_allow   ``GRIDPULSE_METRICS_ALLOW``: comma-separated networks (``127.0.0.1/32,10.0.0.0/8``) whose
                    clients read ``/metrics`` without a token; empty = the admin token only.  The address is the
                    TCP peer's: behind a proxy, allow the proxy only if it limits who reaches ``/metrics``
    visits_push_s   ``GRIDPULSE_VISITS_PUSH_S``: how often a street room with a street screen open gets its workers'
                    visit figures (``visits`` event); 0 = never
    """

    tile_url: str = ""
    tile_crs: str = "wgs84"
    map_zoom: float = 0.0
    polygon_tolerance_deg: float = 1e-5
    language: str = "zh-CN"
    wall_refresh_s: float = 15.0
    metrics_allow: str = ""
    visits_push_s: float = 30.0

    def __post_init__(self):
        if self.tile_crs not in TILE_CRS:
            raise ValueError(f"GRIDPULSE_TILE_CRS must be one of {', '.join(TILE_CRS)}, got {self.tile_crs!r}")
        if self.tile_url and not all(k in self.tile_url for k in ("{z}", "{x}", "{y}")):
            raise ValueError(f"GRIDPULSE_TILE_URL must contain {{z}}, {{x}} and {{y}}, got {self.tile_url!r}")
        if not 1.0 <= self.wall_refresh_s <= 3600:
            raise ValueError(f"GRIDPULSE_WALL_REFRESH_S must be between 1 and 3600 seconds, got {self.wall_refresh_s}")
        if self.visits_push_s < 0:
            raise ValueError("visits_push_s must be ≥ 0")
        if self.polygon_tolerance_deg < 0:
            raise ValueError("polygon_tolerance_deg must be ≥ 0")
        self.metrics_networks  # noqa: B018 - validated at start-up, not at the first scrape

    @property
    def metrics_networks(self) -> list:
        """``metrics_allow`` as ``ipaddress`` networks."""
        import ipaddress

        nets = []
        for part in (p.strip() for p in self.metrics_allow.split(",")):
            if not part:
                continue
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"GRIDPULSE_METRICS_ALLOW: {part!r} is not a network like 127.0.0.1/32") from None
        return nets

    @property
    def draw_gcj02(self) -> bool:
        return bool(self.tile_url) and self.tile_crs == "gcj02"

    @classmethod
    def from_env(cls, environ=None, **overrides) -> WebSettings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f"GRIDPULSE_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = type(f.default)(raw) if not isinstance(f.default, str) else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)
