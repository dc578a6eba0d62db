"""An app built in this process (make_app, threading mode) served on a real TCP port, so real
python-socketio clients and HTTP requests reach it while the test keeps its parts (simulators, board)
at hand. Werkzeug's threaded server: WebSockets through simple-websocket, as Flask-SocketIO expects."""
from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class LiveApp:
    """serve(app) on 127.0.0.1:<free port>; ``url``; ``stop()`` closes the listener."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-app", daemon=True)

    def start(self) -> LiveApp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
