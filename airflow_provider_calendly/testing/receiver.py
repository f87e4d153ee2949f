"""Serve an ASGI app (e.g. the provider's webhook receiver) on loopback for tests: a subscriber for the emulator.

The emulator's webhook deliveries need somewhere to go; :class:`ReceiverServer` runs any ASGI app with uvicorn
in a daemon thread (docs/webhooks.md shows it serving the receiver).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

__all__ = ["ReceiverServer"]


class ReceiverServer:
    """Serve an ASGI app (e.g. the webhook receiver) with uvicorn on a loopback port, in a daemon thread.

    The listening socket is bound before the thread starts, so requests sent right after :meth:`start` wait
    in the backlog instead of failing: no polling for readiness.

    :param app: The ASGI app.
    :param host: Interface to bind.
    :param port: Port (0 picks a free one).
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(1024)
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ReceiverServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
