"""The street screen's callbacks: its HTTP API blueprint, and the street picker (admin) as a page navigation.

Live data never passes through a server callback: the browser code reads the street APIs and the Socket.IO room.
"""

from __future__ import annotations

from dash import Input, Output, State


def register(app) -> None:
    from dashboard.street_api import make_street_blueprint

    if "street_api" not in app.server.blueprints:
        app.server.register_blueprint(make_street_blueprint())
    # The picker navigates (a new page for the new street: scope is re-checked by the layout on the server).
    app.clientside_callback(
        """function (street, search) {
          if (!street) return window.dash_clientside.no_update;
          var p = new URLSearchParams(search || "");
          if (p.get("street") === street) return window.dash_clientside.no_update;
          p.set("street", street); p.delete("token");
          return "/street?" + p.toString();
        }""",
        Output("street-url", "href"), Input("street-picker", "value"), State("street-url", "search"),
        prevent_initial_call=True)
