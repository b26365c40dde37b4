"""``python -m core wire``: list message types and topics, decode a payload, regenerate the docs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.wire.codec import MAX_PAYLOAD_BYTES, decode, to_jsonable
from core.wire.docs import channel_topic, field_docs, render_reference, splice
from core.wire.errors import WireError
from core.wire.schema import MESSAGE_TYPES, struct_codec
from core.wire.topics import Channel


def _types() -> int:
    for name, cls in MESSAGE_TYPES.items():
        print(f"{name}  ({cls.__name__}, schema {cls.SCHEMA}, on {channel_topic(cls.CHANNEL)})")
        described = field_docs(cls)
        for info in struct_codec(cls).fields:
            mark = "" if info.required else "?"
            print(f"    {info.name}{mark}: {info.conv.label}")
            if described.get(info.name):
                print(f"        {described[info.name]}")
    return 0


def _topics() -> int:
    print(
        "imigrasi/v1/<site>/<device-kind>/<device-id>/<channel>   (site, device id: [a-z0-9][a-z0-9-]{0,62})"
    )
    print("device kinds: gate, kiosk, counter, cctv, central")
    for channel in Channel:
        flags = "retained, " if channel.retained else ""
        types = ", ".join(n for n, c in MESSAGE_TYPES.items() if c.CHANNEL is channel)
        print(f"  {channel_topic(channel):55} {flags}QoS {channel.qos}: {types}")
    print("central subscribes (optionally as $share/<group>/...): imigrasi/v1/+/+/+/{event,status,cmd/ack}")
    return 0


def _decode(path: str, max_size: int) -> int:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        msg = decode(data, max_size=max_size)
    except WireError as exc:
        field = getattr(exc, "field", None)
        where = f" (field: {field})" if field else ""
        print(f"{type(exc).__name__}{where}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(to_jsonable(msg), indent=2, ensure_ascii=False))
    return 0


def _docs(write: str | None, check: str | None) -> int:
    reference = render_reference()
    target = write or check
    if target is None:
        print(reference)
        return 0
    path = Path(target)
    current = path.read_text(encoding="utf-8")
    updated = splice(current, reference)
    if check is not None:
        if updated != current:
            print(f"{path} is out of date: run python -m core wire docs --write {path}", file=sys.stderr)
            return 1
        return 0
    path.write_text(updated, encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m core wire", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("types", help="list message types and their fields")
    sub.add_parser("topics", help="show the topic scheme")
    dec = sub.add_parser("decode", help="decode a msgpack payload (FILE or - for stdin) to JSON")
    dec.add_argument("file", metavar="FILE|-")
    dec.add_argument("--max-size", type=int, default=MAX_PAYLOAD_BYTES, help="payload size cap in bytes")
    docs = sub.add_parser("docs", help="print the generated protocol reference, or update/check a file")
    group = docs.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", help="replace the generated block in PATH")
    group.add_argument("--check", metavar="PATH", help="exit 1 if PATH's generated block is out of date")
    args = parser.parse_args(argv)
    if args.command == "types":
        return _types()
    if args.command == "topics":
        return _topics()
    if args.command == "decode":
        return _decode(args.file, args.max_size)
    return _docs(args.write, args.check)
