"""Alarms to central over MQTT: the durable outbox first, then the link, removed on central's ack.

SOP-003-D05 step 2: the alarm ("a notification and an alarm sound") must reach the supervisors'
dashboard, and must not be lost when the link or central is down (ARCHITECTURE, "Data that must never
be lost"). ``LinkedAlarmSink`` reuses the gate's store-and-forward: ``edge.publisher.EventPublisher``
appends each alarm to the ``Outbox`` (fsynced) and only then publishes it at QoS 1 on the camera's
registered ``cctv_alarm`` topic ``imigrasi/v1/<site>/cctv/<camera>/event``; every (re)connect and a
periodic timer replay what central has not acknowledged; central's ``events_ack`` on
``imigrasi/v1/<site>/cctv/<camera>/ack`` (sent after the alarm is committed) deletes it from the outbox.
"""

from __future__ import annotations

import time

from core.clock import Clock, SystemClock
from core.wire import Channel, DeviceKind, topic_for
from core.wire.cctv import CctvFaceAlarm, alarm_topic
from edge.codec import decode_ack
from edge.link import LinkConfig, MqttLink
from edge.outbox import Outbox
from edge.publisher import EventPublisher


def camera_ack_topic(site: str, camera_id: str) -> str:
    """Where central acknowledges this camera's stored alarms."""
    return topic_for(site, DeviceKind.CCTV, camera_id, Channel.ACK)


class LinkedAlarmSink:
    """An ``AlarmSink`` that stores each alarm in the outbox and sends it to central over MQTT."""

    def __init__(
        self,
        outbox: Outbox,
        link: MqttLink,
        *,
        site: str,
        camera_id: str,
        clock: Clock | None = None,
        replay_interval_s: float = 30.0,
    ) -> None:
        self.outbox, self.link, self.site, self.camera_id = outbox, link, site, camera_id
        self.publisher = EventPublisher(
            outbox,
            link,
            ack_topic=camera_ack_topic(site, camera_id),
            decode_ack=decode_ack,
            clock=clock or SystemClock(),
            replay_interval_s=replay_interval_s,
        )
        link.when_connected = self.publisher.replay  # alarms stored while away go first, in order

    @classmethod
    def connect(
        cls, outbox: Outbox, config: LinkConfig, *, site: str, camera_id: str, clock: Clock | None = None
    ) -> LinkedAlarmSink:
        """Build the link from ``config`` and start it (connects in the background, never blocks)."""
        return cls(outbox, MqttLink(config), site=site, camera_id=camera_id, clock=clock).start()

    def start(self) -> LinkedAlarmSink:
        self.publisher.start()  # subscribes to the ack topic (renewed on every connect)
        self.link.start()
        return self

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait (at most ``timeout_s``) until central has acknowledged every stored alarm; for a watch
        that ends (a file, ``--max-frames``). ``False``: some are left in the outbox for next time."""
        start = time.monotonic()
        resent = start
        while self.outbox.depth() and time.monotonic() < start + timeout_s:
            if self.link.is_connected and time.monotonic() - resent >= 2.0:
                self.publisher.replay()  # once in a while: central de-duplicates by alarm id
                resent = time.monotonic()
            time.sleep(0.05)
        return self.outbox.depth() == 0

    def close(self) -> None:
        """Stop sending; alarms not yet acknowledged stay in the outbox for the next start."""
        self.publisher.close()
        self.link.close()

    def __enter__(self) -> LinkedAlarmSink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def raise_alarm(self, alarm: CctvFaceAlarm) -> None:
        """Store, then publish (never waits for the network; ``OutboxFullError`` if the outbox is full)."""
        self.publisher.emit(
            alarm_topic(self.site, alarm.camera_id), alarm.to_bytes(), event_id=alarm.event_id
        )

    @property
    def unacknowledged(self) -> int:
        """Alarms stored but not yet acknowledged by central."""
        return self.outbox.depth()
