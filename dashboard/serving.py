"""Run a WSGI app (the web process, the OsmAnd port) on a werkzeug server in a thread, stoppable in-process.

Flask-SocketIO's threading mode with simple-websocket needs nothing more than werkzeug's threaded server
(this is what ``socketio.run`` starts); owning the server object lets ``demo``, tests and benches stop it cleanly.
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
