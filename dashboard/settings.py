"""Settings of the web process and the ``gridpulse`` commands: explicit argument > ``GRIDPULSE_*`` environment
variable > default (:func:`geo.settings.resolve`, the one resolver of every package). Each field's comment is its
documentation (the README's configuration table is generated from it: ``python -m dashboard.configdoc``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.settings import SettingsError, invalid, resolve

TILE_CRS = ("wgs84", "gcj02")
WEB_SERVERS = ("gevent", "threading")
__all__ = ["AccessSettings", "SettingsError", "WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """Web and map settings. Units are in the names."""

    # an intranet raster tile template (http://tiles.local/{z}/{x}/{y}.png); empty: no tiles at all (the maps work
    # offline on a plain background)
    tile_url: str = ""
    # wgs84 (天地图/CGCS2000) or gcj02 (AMap/Tencent); with gcj02 every drawn coordinate is shifted WGS-84 → GCJ-02
    tile_crs: str = "wgs84"
    map_zoom: float = 0.0  # initial zoom of the wall and street maps; 0 = fit the area shown
    polygon_tolerance_deg: float = 1e-5  # simplification of drawn grid outlines (1e-5° ≈ 1 m; at least 2e-5 is used)
    # how often the wall screen re-reads its ticket panels (s); ticket events move the heat and the feed at once
    wall_refresh_s: float = 15.0
    # comma-separated networks (127.0.0.1/32,10.0.0.0/8) whose clients read /metrics without a token; empty: the
    # admin token only. The TCP peer's address: behind a proxy, allow the proxy only if it limits who reaches /metrics
    metrics_allow: str = ""
    # how often a street room with a street screen open gets its workers' visit figures (s); 0 = never
    visits_push_s: float = 30.0
    # largest request body (bytes) of any endpoint (413 above it); photo uploads are allowed their photos on top,
    # the ping batch its own batch_max_bytes
    max_body_bytes: int = 1_000_000
    max_json_depth: int = 64  # deepest nesting of arrays/objects in a JSON body (400 above it), Dash callbacks included

    def __post_init__(self):
        if self.tile_crs not in TILE_CRS:
            raise invalid("tile_crs", self.tile_crs, f"one of {', '.join(TILE_CRS)}")
        if self.tile_url and not all(k in self.tile_url for k in ("{z}", "{x}", "{y}")):
            raise invalid("tile_url", self.tile_url, "a template containing {z}, {x} and {y}")
        if not 1.0 <= self.wall_refresh_s <= 3600:
            raise invalid("wall_refresh_s", self.wall_refresh_s, "between 1 and 3600 seconds")
        if self.visits_push_s < 0:
            raise invalid("visits_push_s", self.visits_push_s, "≥ 0")
        if self.max_body_bytes < 1024:
            raise invalid("max_body_bytes", self.max_body_bytes, "at least 1024 bytes")
        if not 2 <= self.max_json_depth <= 1000:
            raise invalid("max_json_depth", self.max_json_depth, "between 2 and 1000")
        if self.polygon_tolerance_deg < 0:
            raise invalid("polygon_tolerance_deg", self.polygon_tolerance_deg, "≥ 0")
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
                raise invalid("metrics_allow", part, "networks like 127.0.0.1/32") from None
        return nets

    @property
    def draw_gcj02(self) -> bool:
        return bool(self.tile_url) and self.tile_crs == "gcj02"

    @classmethod
    def from_env(cls, environ=None, **overrides) -> WebSettings:
        return resolve(cls, environ, **overrides)


@dataclass(frozen=True)
class AccessSettings:
    """Who may call, and what the commands start with."""

    admin_token: str = ""  # the district center's token; `gridpulse serve` refuses to start without one
    street_tokens: str = ""  # street supervisors' tokens: STREET_CODE=TOKEN,STREET_CODE=TOKEN
    tokens_file: str = ""  # a JSON file {"tokens": [{"token", "role", "name", "street_code", …}]} of more callers
    open311_key: str = ""  # the api_key Open311 clients send to post requests; empty: posting is refused
    district: Path | None = None  # the district file (.gpkg) of serve, process and simulate
    web_server: str = "gevent"  # the server of `gridpulse serve`: gevent (greenlets, fastest) or threading

    def __post_init__(self):
        if self.web_server not in WEB_SERVERS:
            raise invalid("web_server", self.web_server, " or ".join(WEB_SERVERS))

    @classmethod
    def from_env(cls, environ=None, **overrides) -> AccessSettings:
        return resolve(cls, environ, **overrides)
