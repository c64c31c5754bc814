"""The screens, one folder each: the wall screen ``/``, the street supervisor's ``/street``, the manager's ``/manage``.

A screen folder owns its layout, callbacks, figures and browser code (``static/``). Its module exposes::

    NAME      the folder name, also the URL segment of its static files
    PATH      the page's path
    TITLE     (zh, en) page titles
    layout(**query) -> component      the Dash page layout (query parameters arrive as keyword arguments)
    register(dash_app) -> None        its callbacks, registered on the app it is given (never imported)
    blueprint() -> Blueprint          optional: its own HTTP routes (e.g. the manager's exports), registered by mount

:func:`mount` wires them into a Dash app created with ``use_pages=True``; a screen's JS and CSS are loaded by the
global loader ``assets/screens.js`` only while that screen's root element is on the page.
"""

from __future__ import annotations

import importlib

import dash

from dashboard.screens.static import make_static_blueprint

SCREEN_MODULES = ("dashboard.screens.wall", "dashboard.screens.street", "dashboard.screens.manage")


def screens() -> list:
    return [importlib.import_module(name) for name in SCREEN_MODULES]


def mount(dash_app: dash.Dash) -> None:
    """Register every screen's page, callbacks and routes on ``dash_app``, and serve their static files."""
    mods = screens()
    for mod in mods:
        dash.register_page(mod.__name__, path=mod.PATH, name=mod.NAME, title=mod.TITLE[0], layout=mod.layout)
        mod.register(dash_app)
        if hasattr(mod, "blueprint"):
            dash_app.server.register_blueprint(mod.blueprint())
    dash_app.server.register_blueprint(make_static_blueprint([m.NAME for m in mods]))
