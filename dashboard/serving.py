"""Run a WSGI app (the web process, the OsmAnd port) on a server we own, stoppable in-process.

Two kinds, one interface (``start``, ``stop``, ``port``, ``url``):

- :class:`WebServer`: werkzeug's threaded server. Flask-SocketIO's threading mode with simple-websocket needs nothing
  more (this is what ``socketio.run`` starts); the demo, tests and benches use it.
- :class:`GeventWebServer`: gevent's pywsgi in a monkey-patched process (``gridpulse serve``). One greenlet per
  request instead of one thread: the single-ping OsmAnd protocol goes from about 600 to about 3,000 requests/s here
  (``bench/ingest.py``). Flask-SocketIO's gevent mode serves WebSocket through simple-websocket on it.
"""

from __future__ import annotations

import logging
import socket
import threading

from werkzeug.serving import make_server


class WebServer:
    """``WebServer(app, "127.0.0.1", 0).start()`` → serving on ``.port`` until ``.stop()``."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True):
        if quiet:  # one access-log line per ping would drown everything at 230 pings/s
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(host, port, app, threaded=True)
        self.host, self.port = host, self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"web:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout_s)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class GeventWebServer:
    """``GeventWebServer(app, "127.0.0.1", 0).start()``: gevent's WSGI server; needs ``gevent.monkey.patch_all()``."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True):
        from gevent.pywsgi import WSGIServer

        self._server = WSGIServer((host, port), app, log=None if quiet else "default", error_log="default")
        self._server.init_socket()
        self.host, self.port = host, self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> GeventWebServer:
        self._server.start()  # serves from the gevent hub; returns at once
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._server.stop(timeout=timeout_s)


def gevent_patched() -> bool:
    """True when this process runs on gevent (``socket`` patched)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def web_server(app, host: str = "127.0.0.1", port: int = 0, **kw):
    """The server kind that suits this process: gevent when patched, else werkzeug threads."""
    return (GeventWebServer if gevent_patched() else WebServer)(app, host, port, **kw)
