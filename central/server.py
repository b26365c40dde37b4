"""Running the web app: uvicorn in the foreground (``serve``) or in a thread (tests, the emulator)."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from central.errors import CentralError
from core.ports import free_port as free_port  # re-exported: the emulator and tests import it from here


class ServerError(CentralError, RuntimeError):
    """The web server did not start."""


class BackgroundServer:
    """uvicorn serving ``app`` on a loopback port in a daemon thread; ``stop()`` shuts it down."""

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="central-web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise ServerError(f"the web server did not start on {self.url} within {timeout} s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # open server-sent-event streams would otherwise hold it up
        self.thread.join(10)
