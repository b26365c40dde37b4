"""The topic scheme: imigrasi/v1/<site>/<device-kind>/<device-id>/<channel>, plus site-wide channels."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.wire import (
    Channel,
    DeviceKind,
    Topic,
    TopicError,
    central_subscriptions,
    device_subscriptions,
    parse_topic,
    site_topic_for,
    subscription,
    topic_for,
)
from core.wire.topics import DEVICE_CHANNELS, NAME_PATTERN

names = st.from_regex(NAME_PATTERN, fullmatch=True)


def test_a_device_topic_is_built_from_its_parts() -> None:
    assert topic_for("cgk", "gate", "gate-01", "event") == "imigrasi/v1/cgk/gate/gate-01/event"


def test_the_command_acknowledgement_channel_has_two_segments() -> None:
    topic = topic_for("cgk", DeviceKind.GATE, "gate-01", Channel.CMD_ACK)
    assert topic == "imigrasi/v1/cgk/gate/gate-01/cmd/ack"
    assert parse_topic(topic) == Topic("cgk", Channel.CMD_ACK, DeviceKind.GATE, "gate-01")


def test_the_watchlist_announcement_is_site_wide() -> None:
    assert site_topic_for("cgk") == "imigrasi/v1/cgk/watchlist/announce"
    assert parse_topic("imigrasi/v1/cgk/watchlist/announce") == Topic("cgk", Channel.WATCHLIST_ANNOUNCE)


@settings(max_examples=80)
@given(names, st.sampled_from(DeviceKind), names, st.sampled_from(sorted(DEVICE_CHANNELS)))
def test_every_device_topic_parses_back_to_its_parts(
    site: str, kind: DeviceKind, device_id: str, channel: Channel
) -> None:
    assert parse_topic(topic_for(site, kind, device_id, channel)) == Topic(site, channel, kind, device_id)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "imigrasi",
        "imigrasi/v1/cgk",
        "other/v1/cgk/gate/gate-01/event",
        "imigrasi/v2/cgk/gate/gate-01/event",
        "imigrasi/v1/CGK/gate/gate-01/event",
        "imigrasi/v1/cgk/robot/gate-01/event",
        "imigrasi/v1/cgk/gate/Gate_01/event",
        "imigrasi/v1/cgk/gate/-gate/event",
        "imigrasi/v1/cgk/gate/gate-01/telemetry",
        "imigrasi/v1/cgk/gate/gate-01/cmd/nack",
        "imigrasi/v1/cgk/gate/gate-01",
        "imigrasi/v1/cgk/gate/+/event",
        "imigrasi/v1/+/gate/gate-01/event",
        "imigrasi/v1/cgk/gate/gate-01/watchlist/announce",
        "imigrasi/v1/cgk/watchlist/withdraw",
        "imigrasi/v1/" + "a" * 64 + "/gate/gate-01/event",
        "$share/g/imigrasi/v1/cgk/gate/gate-01/event",
    ],
)
def test_a_malformed_topic_is_a_topic_error(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(topic)


@settings(max_examples=150)
@given(st.text(max_size=80))
def test_parsing_any_string_gives_a_topic_or_a_topic_error(text: str) -> None:
    try:
        topic = parse_topic(text)
    except TopicError:
        return
    assert str(topic) == text


def test_a_topic_error_names_what_to_use_instead() -> None:
    with pytest.raises(TopicError, match="a-z, 0-9 and '-'"):
        topic_for("cgk", "gate", "Gate 1", "event")


def test_a_site_wide_topic_takes_no_device() -> None:
    with pytest.raises(TopicError, match="site-wide"):
        Topic("cgk", Channel.WATCHLIST_ANNOUNCE, DeviceKind.GATE, "gate-01")


def test_a_device_channel_needs_a_device() -> None:
    with pytest.raises(TopicError, match="belongs to a device"):
        Topic("cgk", Channel.EVENT)


def test_central_subscribes_to_every_devices_events_status_and_command_acks() -> None:
    assert central_subscriptions() == [
        "imigrasi/v1/+/+/+/event",
        "imigrasi/v1/+/+/+/status",
        "imigrasi/v1/+/+/+/cmd/ack",
    ]


def test_several_central_consumers_share_a_subscription() -> None:
    assert subscription("event", share_group="ingest") == "$share/ingest/imigrasi/v1/+/+/+/event"


def test_a_subscription_can_narrow_to_one_site_and_kind() -> None:
    assert subscription(Channel.STATUS, site="cgk", kind="gate") == "imigrasi/v1/cgk/gate/+/status"


def test_a_device_subscribes_to_its_own_commands_and_acks_and_its_sites_watchlist() -> None:
    assert device_subscriptions("cgk", "gate", "gate-01") == [
        "imigrasi/v1/cgk/gate/gate-01/cmd",
        "imigrasi/v1/cgk/gate/gate-01/ack",
        "imigrasi/v1/cgk/watchlist/announce",
    ]


def test_only_status_and_watchlist_announcements_are_retained() -> None:
    assert {c for c in Channel if c.retained} == {Channel.STATUS, Channel.WATCHLIST_ANNOUNCE}


def test_every_channel_is_delivered_at_least_once() -> None:
    assert {c.qos for c in Channel} == {1}
