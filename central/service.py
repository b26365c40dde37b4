"""One central instance's parts, wired together: store, clock, live bus, commands, metrics, settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from central.commands import Commands, CommandSender
from central.devices import BrokerFiles
from central.live import LiveBus
from central.metrics import Metrics
from central.store import Store
from core.clock import Clock, SystemClock


@dataclass(frozen=True)
class Settings:
    """What differs between a laptop demo and a control room."""

    secure_cookies: bool = False  # True behind TLS: the session cookie is then never sent in clear
    broker_files: BrokerFiles | None = None  # Mosquitto's password and ACL files, when central owns them
    default_language: str = "id"
    extra: dict[str, str] = field(default_factory=dict)


class Central:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        bus: LiveBus | None = None,
        sender: CommandSender | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.bus = bus or LiveBus()
        self.settings = settings or Settings()
        self.metrics = Metrics(store)
        self.commands = Commands(store, self.clock, self.bus, sender)

    def attach_sender(self, sender: CommandSender) -> None:
        """The MQTT link connects after the app is built; commands flow through it from then on."""
        self.commands.sender = sender
