"""Generate the reference part of docs/protocol.md from the code, so the document stays true.

The generated text sits between ``BEGIN``/``END`` markers in docs/protocol.md;
``python -m core wire docs --write docs/protocol.md`` refreshes it and ``--check`` tells whether it is
current (a test runs the check).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import typing

from core.wire.codec import to_jsonable
from core.wire.examples import examples
from core.wire.schema import MESSAGE_TYPES, Message, struct_codec
from core.wire.topics import Channel

BEGIN = "<!-- BEGIN GENERATED: python -m core wire docs --write docs/protocol.md -->"
END = "<!-- END GENERATED -->"
_FIELD_LINE = re.compile(r"^\s{4}(\w+): (.+)$")


def docstring_parts(cls: type) -> tuple[str, dict[str, str]]:
    """A class docstring's prose (before ``Fields:``) and its field descriptions by name."""
    doc = inspect.getdoc(cls) or ""
    prose, _, fields_part = doc.partition("\nFields:\n")
    described: dict[str, str] = {}
    last = ""
    for line in fields_part.splitlines():
        match = _FIELD_LINE.match(line)
        if match:
            last = match.group(1)
            described[last] = match.group(2).strip()
        elif last and line.startswith(" " * 8):  # a description continued on the next line
            described[last] += " " + line.strip()
    return " ".join(prose.split()), described


def field_docs(cls: type[Message]) -> dict[str, str]:
    """Descriptions of every field of ``cls``, the common envelope fields included."""
    _, common = docstring_parts(Message)
    _, own = docstring_parts(cls)
    return {**common, **own}


def channel_topic(channel: Channel) -> str:
    if channel.is_site_wide:
        return f"imigrasi/v1/<site>/{channel.value}"
    return f"imigrasi/v1/<site>/<kind>/<device-id>/{channel.value}"


def render_topics() -> str:
    lines = [
        "| channel | topic | direction | retained | QoS | message types |",
        "|---|---|---|---|---|---|",
    ]
    senders = {
        Channel.STATUS: "device → all (broker publishes the last will)",
        Channel.EVENT: "device → central",
        Channel.CMD: "central → device",
        Channel.CMD_ACK: "device → central",
        Channel.ACK: "central → device",
        Channel.WATCHLIST_ANNOUNCE: "central → site's devices",
    }
    for channel in Channel:
        names = ", ".join(f"`{n}`" for n, c in MESSAGE_TYPES.items() if c.CHANNEL is channel)
        lines.append(
            f"| `{channel.value}` | `{channel_topic(channel)}` | {senders[channel]} | "
            f"{'yes' if channel.retained else 'no'} | {channel.qos} | {names} |"
        )
    return "\n".join(lines)


def render_message(type_name: str, example: Message) -> str:
    cls = MESSAGE_TYPES[type_name]
    prose, _ = docstring_parts(cls)
    described = field_docs(cls)
    accepted = f"{cls.SCHEMA}" if cls.MIN_SCHEMA == cls.SCHEMA else f"{cls.MIN_SCHEMA}..{cls.SCHEMA}"
    out = [
        f"### `{type_name}` — {cls.__name__}",
        "",
        prose,
        "",
        f"Topic: `{channel_topic(cls.CHANNEL)}` · schema {cls.SCHEMA} (decoders accept {accepted})",
        "",
        "| field | type | required | meaning |",
        "|---|---|---|---|",
    ]
    for info in struct_codec(cls).fields:
        meaning = described.get(info.name, "").replace("|", "\\|")
        label = info.conv.label.replace("|", "\\|")
        out.append(f"| `{info.name}` | {label} | {'yes' if info.required else 'no'} | {meaning} |")
    out += ["", "```json", json.dumps(to_jsonable(example), indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(out)


def nested_structures() -> list[type]:
    """The dataclasses used inside registered messages, in order of first use."""
    found: list[type] = []

    def visit(cls: type) -> None:
        for info in struct_codec(cls).fields:
            for tp in _types_in(info.type):
                if dataclasses.is_dataclass(tp) and isinstance(tp, type) and tp not in found:
                    found.append(tp)
                    visit(tp)

    for cls in MESSAGE_TYPES.values():
        visit(cls)
    return found


def _types_in(tp: object) -> list[object]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Annotated:
        return _types_in(args[0])
    return [tp] + [t for a in args for t in _types_in(a)]


def render_structure(cls: type) -> str:
    prose, _ = docstring_parts(cls)
    out = [f"### {cls.__name__}", "", prose, "", "| field | type | required |", "|---|---|---|"]
    for info in struct_codec(cls).fields:
        label = info.conv.label.replace("|", "\\|")
        out.append(f"| `{info.name}` | {label} | {'yes' if info.required else 'no'} |")
    out.append("")
    return "\n".join(out)


def render_reference() -> str:
    """The generated block: the topic table, every registered message with an example, and the
    structures nested in them."""
    samples = examples()
    parts = [BEGIN, "", "## Topics", "", render_topics(), "", "## Messages", ""]
    parts += [render_message(name, samples[name]) for name in MESSAGE_TYPES if name in samples]
    parts += ["## Nested structures", ""]
    parts += [render_structure(cls) for cls in nested_structures()]
    parts.append(END)
    return "\n".join(parts)


def splice(document: str, reference: str) -> str:
    """``document`` with its generated block replaced by ``reference``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document lacks the markers {BEGIN!r} ... {END!r}; add them where it goes")
    return document[:start] + reference + document[end + len(END) :]
