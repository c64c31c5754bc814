"""Dash page layouts (pure functions of the district and settings; no server callbacks for live data)."""
