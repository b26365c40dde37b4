"""The gate config (TOML): read, validate, and explain every error by its key.

>>> cfg = parse_config({"gate": {"id": "gate-01", "site": "cgk", "direction": "arrival"},
...                     "link": {"url": "mqtt://127.0.0.1:1883"}})
>>> cfg.gate_id, cfg.policy.direction.value, cfg.policy.mirip.value
('gate-01', 'arrival', 'hold')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.clock import SITE_ZONE, zone
from core.wire.topics import NAME_PATTERN
from edge.errors import ConfigError
from edge.flow import DEFAULT_TIMINGS, Direction, FlowPolicy, MiripPolicy
from edge.link import LinkConfig

_SECTIONS = {
    "gate", "policy", "timings", "link", "outbox", "central", "watchlist", "metrics", "board", "face",
}  # fmt: skip


@dataclass(frozen=True)
class GateConfig:
    gate_id: str
    site: str
    policy: FlowPolicy
    timings: dict[str, float]
    link: LinkConfig
    outbox_path: Path
    outbox_max_events: int
    central_url: str | None
    device_token: str | None
    enrolment_timeout_s: float
    watchlist_dir: Path
    watchlist_max_age_s: float
    metrics_port: int
    status_path: Path
    board: dict[str, Any] = field(default_factory=dict)
    board_config: Path | None = None
    device_token_file: Path | None = None
    enrolment_cache_dir: Path | None = None
    watchlist_public_key: Path | None = None
    face_liveness: str = "passive"
    face_max_frames: int = 8
    face_frame_interval_s: float = 0.1
    ledger_path: Path | None = None
    # Central's Ed25519 command-signing public key (PEM); without it commands are not authenticated.
    command_public_key: Path | None = None
    command_max_skew_s: float = 30.0
    # Issue 12: the AES key sealing the outbox and the enrolment cache (edge.sealed): a file, or an
    # environment variable holding 64 hex digits; without either, a key file made beside the data.
    data_key_file: Path | None = None
    data_key_env: str | None = None


def load_config(path: Path | str) -> GateConfig:
    """Read and validate a gate config file; ``ConfigError`` names the file and the bad key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file; pass --config with the gate's TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return parse_config(raw, base=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _get(
    raw: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ..., *, section: str
) -> Any:
    name = f"{section}.{key}"
    if key not in raw:
        if default is ...:
            raise ConfigError(f"{name} is required")
        return default
    value = raw[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(f"{name} must be {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{name} must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def parse_config(raw: dict[str, Any], *, base: Path | None = None) -> GateConfig:
    """Validate an already parsed TOML document."""
    base = base or Path.cwd()
    unknown = sorted(set(raw) - _SECTIONS)
    if unknown:
        raise ConfigError(f"unknown section(s) {unknown}; known: {sorted(_SECTIONS)}")
    gate = _section(raw, "gate")
    gate_id = _get(gate, "id", str, section="gate")
    site = _get(gate, "site", str, section="gate")
    for key, value in (("id", gate_id), ("site", site)):
        # Both are topic segments (core.wire.topics): imigrasi/v1/<site>/gate/<id>/<channel>.
        if re.fullmatch(NAME_PATTERN, value) is None:
            raise ConfigError(
                f"gate.{key} {value!r} must be 1-63 of a-z, 0-9 and '-', starting with a letter or digit"
            )
    direction = _get(gate, "direction", str, "departure", section="gate")
    if direction not in {d.value for d in Direction}:
        raise ConfigError(f"gate.direction must be 'arrival' or 'departure', got {direction!r}")

    pol = _section(raw, "policy")
    mirip = _get(pol, "mirip", str, "hold", section="policy")
    if mirip not in {m.value for m in MiripPolicy}:
        raise ConfigError(f"policy.mirip must be 'hold' or 'redirect', got {mirip!r}")
    extra = _get(pol, "extra_issuers", list, [], section="policy")
    if not all(isinstance(c, str) and len(c) == 3 and c.isupper() for c in extra):
        raise ConfigError(
            f"policy.extra_issuers must list 3-letter MRZ state codes like 'MYS', got {extra!r}"
        )
    no_record = _get(pol, "no_enrolment", str, "redirect", section="policy")
    if no_record != "redirect":
        raise ConfigError(
            "policy.no_enrolment must be 'redirect': a gate never lets anyone through unverified"
        )
    attempts = {}
    for step in ("fingerprint_attempts", "face_attempts"):
        value = _get(pol, step, int, 2, section="policy")
        if not 1 <= value <= 10:
            raise ConfigError(f"policy.{step} must be between 1 and 10, got {value}")
        attempts[step] = value
    timezone = _get(pol, "timezone", str, SITE_ZONE, section="policy")
    try:
        zone(timezone)
    except ValueError as exc:
        raise ConfigError(f"policy.timezone: {exc}") from exc
    policy = FlowPolicy(
        direction=Direction(direction),
        extra_issuers=frozenset(extra),
        mirip=MiripPolicy(mirip),
        timezone=timezone,
        **attempts,
    )

    tim = _section(raw, "timings")
    timings = dict(DEFAULT_TIMINGS)
    for key, value in tim.items():
        if key not in DEFAULT_TIMINGS:
            raise ConfigError(f"timings.{key} is not a known timing; known: {sorted(DEFAULT_TIMINGS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"timings.{key} must be a positive number of seconds, got {value!r}")
        timings[key] = float(value)

    lk = _section(raw, "link")
    url = _get(lk, "url", str, section="link")

    def file(section: dict[str, Any], key: str, name: str) -> Path | None:
        value = _get(section, key, str, None, section=name)
        return None if value is None else (base / value)

    from edge import codec  # local: the codec decides topics; config only names the gate

    link = LinkConfig(
        url=url,
        client_id=gate_id,
        username=_get(lk, "username", str, None, section="link"),
        password=_get(lk, "password", str, None, section="link"),
        ca_file=file(lk, "ca_file", "link"),
        cert_file=file(lk, "cert_file", "link"),
        key_file=file(lk, "key_file", "link"),
        keepalive_s=_get(lk, "keepalive_s", int, 30, section="link"),
        will_topic=codec.status_topic(site, gate_id),
        # The will's ts is when it was written (core.wire.offline_status); the runtime renews it.
        will_payload=codec.offline_will(gate_id, datetime.now(UTC)),
    )
    try:
        link.endpoint()
    except ValueError as exc:
        raise ConfigError(str(exc).replace("link url", "link.url")) from exc
    except ConnectionError as exc:
        raise ConfigError(str(exc).replace("link url", "link.url")) from exc

    ob = _section(raw, "outbox")
    max_events = _get(ob, "max_events", int, 100_000, section="outbox")
    if max_events < 100:
        raise ConfigError(f"outbox.max_events must be at least 100, got {max_events}")
    central = _section(raw, "central")
    wl = _section(raw, "watchlist")
    met = _section(raw, "metrics")
    port = _get(met, "port", int, 9108, section="metrics")
    if not 0 <= port <= 65535:
        raise ConfigError(f"metrics.port must be 0-65535, got {port}")
    face = _section(raw, "face")
    liveness = _get(face, "liveness", str, "passive", section="face")
    if liveness not in ("passive", "off"):
        raise ConfigError(f"face.liveness must be 'passive' or 'off', got {liveness!r}")
    max_frames = _get(face, "max_frames", int, 8, section="face")
    if not 1 <= max_frames <= 100:
        raise ConfigError(f"face.max_frames must be between 1 and 100, got {max_frames}")
    interval = float(_get(face, "frame_interval_s", (int, float), 0.1, section="face"))
    if interval < 0:
        raise ConfigError(f"face.frame_interval_s must not be negative, got {interval}")
    board = _section(raw, "board")
    unknown_board = sorted(set(board) - {"config"})
    if unknown_board:
        raise ConfigError(f"board has unknown key(s) {unknown_board}; known: ['config']")
    return GateConfig(
        gate_id=gate_id,
        site=site,
        policy=policy,
        timings=timings,
        link=link,
        outbox_path=base / _get(ob, "path", str, "outbox.db", section="outbox"),
        outbox_max_events=max_events,
        central_url=_get(central, "url", str, None, section="central"),
        device_token=_get(central, "device_token", str, None, section="central"),
        enrolment_timeout_s=float(_get(central, "enrolment_timeout_s", (int, float), 2.0, section="central")),
        watchlist_dir=base / _get(wl, "dir", str, "watchlist", section="watchlist"),
        watchlist_max_age_s=float(_get(wl, "max_age_s", (int, float), 86_400, section="watchlist")),
        metrics_port=port,
        status_path=base / _get(gate, "status_file", str, "status.json", section="gate"),
        board=board,
        board_config=file(board, "config", "board"),
        device_token_file=file(central, "device_token_file", "central"),
        enrolment_cache_dir=file(central, "enrolment_cache_dir", "central"),
        watchlist_public_key=file(wl, "public_key", "watchlist"),
        face_liveness=liveness,
        face_max_frames=max_frames,
        face_frame_interval_s=interval,
        ledger_path=file(gate, "ledger", "gate"),
        command_public_key=file(central, "command_public_key", "central"),
        command_max_skew_s=float(_get(central, "command_max_skew_s", (int, float), 30.0, section="central")),
        data_key_file=file(ob, "key_file", "outbox"),
        data_key_env=_get(ob, "key_env", str, None, section="outbox"),
    )
