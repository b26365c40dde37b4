"""A real central for device tests: its store, HTTP API with the workflows, and MQTT ingest on a broker.

Kiosk and counter journeys start and stop it to show a device working while central is away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request, Response

from central.app import create_app
from central.ingest import Ingest
from central.server import BackgroundServer
from central.service import Central
from central.store import Store
from central.workflows.api import install
from central.workflows.engine import Workflows
from core.clock import SystemClock

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class CentralUnderTest:
    store: Store
    workflows: Workflows
    token: str
    port: int
    broker_url: str
    server: BackgroundServer | None = None
    ingest: Ingest | None = None
    # Every HTTP request the devices made, as "METHOD /path" (kiosk tests show which paths they use).
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        central = Central(self.store, clock=SystemClock())
        app = create_app(central)
        install(app, self.workflows)

        @app.middleware("http")
        async def log_request(request: Request, call_next: Handler) -> Response:
            self.requests.append(f"{request.method} {request.url.path}")
            return await call_next(request)

        self.server = BackgroundServer(app, port=self.port).start()
        ingest = Ingest(central, self.broker_url, shared_group=None, max_delay=0.02)
        # As ``central serve`` wires it: a kiosk's ``application`` message opens its workflow case.
        ingest.workflows = self.workflows
        self.ingest = ingest.start()

    def stop(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()
        if self.server is not None:
            self.server.stop()
        self.ingest = self.server = None
