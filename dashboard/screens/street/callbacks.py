"""The street screen's callbacks: the street picker (admin) as a page navigation.

Live data never passes through a server callback: the browser code reads the street APIs and the Socket.IO room.
"""

from __future__ import annotations

from dash import Input, Output, State


def register(app) -> None:
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
