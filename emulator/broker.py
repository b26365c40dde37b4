"""A real Mosquitto broker on a free loopback port, for tests, demos and fault injection.

The broker is Debian's ``mosquitto`` binary started with a generated config in its own folder, so nothing
depends on a system-wide broker. It can be stopped, killed (``kill -9``) and restarted on the same port
with its persistence file kept: that is how the tests prove that nothing is lost across a broker restart.

    with MosquittoBroker(tmp_path) as broker:
        print(broker.url)          # mqtt://127.0.0.1:PORT
        broker.restart()
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from core.ports import free_port as free_port  # re-exported: the emulator and tests import it from here

SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin")


class BrokerError(RuntimeError):
    """The broker could not be found, configured or started."""


def find_mosquitto() -> str:
    """The path of the ``mosquitto`` binary, or a BrokerError saying how to install it."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path=os.pathsep.join(SEARCH_PATH))
    if not found:
        raise BrokerError(
            "the mosquitto binary was not found; install it with `apt-get install mosquitto` "
            "(make test and make demo do this for you: scripts/ensure-system-packages)"
        )
    return found


@dataclass(frozen=True)
class TlsFiles:
    """Server-side TLS material for the listener (PEM files)."""

    cafile: Path
    certfile: Path
    keyfile: Path
    require_certificate: bool = False

    def render(self) -> list[str]:
        return [
            f"cafile {self.cafile}",
            f"certfile {self.certfile}",
            f"keyfile {self.keyfile}",
            f"require_certificate {'true' if self.require_certificate else 'false'}",
            "tls_version tlsv1.2",
        ]


@dataclass
class Listener:
    """A further listener of the same broker (same accounts, ACL and persistence), e.g. a TLS one that
    takes clients without a client certificate beside one that requires it. ``port`` 0: a free one."""

    tls: TlsFiles | None
    port: int = 0

    def render(self, host: str) -> list[str]:
        lines = [f"listener {self.port} {host}"]
        if self.tls is not None:
            lines += self.tls.render()
        return lines


@dataclass
class BrokerConfig:
    """What goes into the generated ``mosquitto.conf``."""

    port: int = 0
    host: str = "127.0.0.1"
    allow_anonymous: bool = True
    password_file: Path | None = None
    acl_file: Path | None = None
    tls: TlsFiles | None = None
    persistence: bool = True
    max_queued_messages: int = 100_000
    extra: list[str] = field(default_factory=list)
    # Listener options follow their ``listener`` line; accounts, ACL and persistence are shared
    # (Mosquitto's default ``per_listener_settings false``).
    more_listeners: list[Listener] = field(default_factory=list)

    def render(self, folder: Path) -> str:
        lines = [
            # Mosquitto started as root drops to the 'mosquitto' user, which could not write our
            # persistence and log files: keep the user that started it.
            f"user {getpass.getuser()}",
            f"listener {self.port} {self.host}",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {folder}/",
            # Autosave on every change, so a kill -9 keeps what was acknowledged at QoS 1.
            "autosave_interval 1",
            "autosave_on_changes true",
            f"max_queued_messages {self.max_queued_messages}",
            "max_inflight_messages 0",
            f"log_dest file {folder / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        ]
        if self.password_file is not None:
            lines.append(f"password_file {self.password_file}")
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        if self.tls is not None:
            lines[2:2] = self.tls.render()  # right after its listener line
        lines += self.extra
        for listener in self.more_listeners:
            lines += listener.render(self.host)
        return "\n".join(lines) + "\n"


class MosquittoBroker:
    """One Mosquitto process in ``folder``; a context manager that always stops it."""

    def __init__(self, folder: Path, config: BrokerConfig | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = config or BrokerConfig()
        if self.config.port == 0:
            self.config.port = free_port(self.config.host)
        for listener in self.config.more_listeners:
            if listener.port == 0:
                listener.port = free_port(self.config.host)
        self.binary = find_mosquitto()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def url(self) -> str:
        scheme = "mqtts" if self.config.tls is not None else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"

    def listener_url(self, index: int) -> str:
        """The URL of ``config.more_listeners[index]``."""
        listener = self.config.more_listeners[index]
        return f"{'mqtts' if listener.tls is not None else 'mqtt'}://{self.host}:{listener.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "mosquitto.log"

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> MosquittoBroker:
        if self.is_running:
            return self
        conf = self.folder / "mosquitto.conf"
        conf.write_text(self.config.render(self.folder), encoding="utf-8")
        self._process = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                raise BrokerError(f"mosquitto exited at start (code {self._process.returncode}): {err}{log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise BrokerError(f"mosquitto did not listen on {self.host}:{self.port} within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """A clean stop: Mosquitto writes its persistence file and exits."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._close_pipes()

    def kill(self) -> None:
        """``kill -9``: what a crash or a power cut looks like to the clients."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_pipes()

    def restart(self, *, hard: bool = False) -> MosquittoBroker:
        """Stop (or kill, with ``hard=True``) and start again on the same port and persistence."""
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start()

    def _close_pipes(self) -> None:
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
