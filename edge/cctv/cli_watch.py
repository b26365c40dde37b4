"""``python -m edge.cctv watch``: watch one camera against the alert gallery (SOP-003-D05 step 2).

The gallery is fetched from central when ``--central`` is given and reachable, else the verified copy
on disk is used; every ``--refresh-s`` seconds a newer signed gallery (from central or a changed file)
replaces it without a restart, and a refused one is logged while the last good copy stays in use.
Alarms go to the durable outbox and over MQTT to central (``--outbox`` with ``--broker``,
production; deleted from the outbox on central's ack) or to a directory
(``--alarms``, a stand-alone watcher; read them with ``python -m edge.cctv alarms``). Both are sealed at
rest with the data key (``--data-key-file`` / ``--data-key-env``, else a key file beside the data; issue
12). Frames without an alarm are never written anywhere.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path

from core.wire.cctv import CctvFaceAlarm
from edge.cctv.errors import CctvError
from edge.cctv.gallery import AlertGallery, GalleryCache, GalleryRefresher, http_fetcher, load_public_key
from edge.cctv.keys import add_key_options, sealer_for
from edge.cctv.sender import LinkedAlarmSink
from edge.cctv.sinks import KEY_NAME, AlarmDirectory, AlarmSink
from edge.cctv.source import OpenCvSource
from edge.cctv.watcher import CctvWatcher, WatchConfig
from edge.errors import EdgeError
from edge.link import LinkConfig
from edge.outbox import Outbox
from edge.sealed import Sealer
from models import FacePipeline

log = logging.getLogger("edge.cctv")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.cctv watch", description=__doc__)
    parser.add_argument("--camera-id", required=True, help="this camera's device id, e.g. cctv-t2-01")
    parser.add_argument("--source", required=True, help="rtsp:// URL, V4L2 device (/dev/video0 or 0) or file")
    parser.add_argument("--gallery", type=Path, required=True, help="where the verified gallery copy is kept")
    parser.add_argument("--public-key", type=Path, required=True, help="central's gallery key (PEM)")
    parser.add_argument("--central", help="central's base URL, e.g. https://central.example:8443")
    parser.add_argument("--token-file", type=Path, help="file holding this camera's device token")
    sink_group = parser.add_mutually_exclusive_group(required=True)
    sink_group.add_argument("--outbox", type=Path, help="the durable outbox database (alarms go to central)")
    sink_group.add_argument("--alarms", type=Path, help="a directory to write alarms into")
    parser.add_argument("--site", help="the camera's site id (the wire topic's <site>); needed with --outbox")
    parser.add_argument(
        "--broker", help="central's MQTT broker, mqtt://host:port or mqtts://; needed with --outbox"
    )
    parser.add_argument("--broker-user", help="the camera's broker account")
    parser.add_argument("--broker-password-file", type=Path, help="file holding the broker password")
    parser.add_argument("--broker-ca", type=Path, help="CA certificate of the broker (mqtts://)")
    add_key_options(parser)
    parser.add_argument("--threshold", type=float, help="alarm cosine (default: the face config's)")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument(
        "--refresh-s",
        type=float,
        default=60.0,
        help="seconds between gallery refreshes from central or the changed file (default 60)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    if args.outbox and not (args.site and args.broker):
        parser.error(
            "--outbox needs --site and --broker (alarms go on imigrasi/v1/<site>/cctv/<camera>/event)"
        )
    fetch = None
    if args.central:
        if args.token_file is None:
            parser.error("--central needs --token-file (the camera's device token)")
        fetch = http_fetcher(args.central, args.token_file.read_text(encoding="utf-8").strip())
    try:
        # The data key first: a missing or broken key stops the watcher before the camera opens.
        sealer = sealer_for(
            args,
            default=args.outbox.with_name(args.outbox.name + ".key")
            if args.outbox
            else args.alarms / KEY_NAME,
        )
        cache = GalleryCache(args.gallery, load_public_key(args.public_key))
        snapshot, origin = cache.refresh(fetch)
        pipeline = FacePipeline.load()
        gallery = AlertGallery(
            snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version
        )
        log.info("alert gallery version %d from %s: %d entries", snapshot.version, origin, len(gallery))
        linked = _linked_sink(args, sealer) if args.outbox else None
        sink: AlarmSink = linked if linked is not None else AlarmDirectory(args.alarms, sealer=sealer)
        watcher = CctvWatcher(
            args.camera_id, pipeline, gallery, sink, config=WatchConfig(threshold=args.threshold)
        )
        refresher = GalleryRefresher(cache, fetch, gallery, interval_s=args.refresh_s).start()
        try:
            with OpenCvSource(args.source) as source:
                stats = watcher.run(
                    source, max_frames=args.max_frames, on_alarm=_log_alarm, refresher=refresher
                )
        finally:
            refresher.close()
            if linked is not None:
                if not linked.drain():
                    log.warning("%d alarms not yet acknowledged stay in the outbox", linked.unacknowledged)
                linked.close()
                linked.outbox.close()
    except (CctvError, EdgeError) as exc:
        log.error("%s", exc)
        return 1
    print(json.dumps(asdict(stats)))
    return 0


def _linked_sink(args: argparse.Namespace, sealer: Sealer) -> LinkedAlarmSink:
    """The outbox and the MQTT link to central (alarms stored first, deleted on central's ack)."""
    password = (
        args.broker_password_file.read_text(encoding="utf-8").strip() if args.broker_password_file else None
    )
    config = LinkConfig(
        url=args.broker,
        client_id=f"cctv-{args.camera_id}",
        username=args.broker_user,
        password=password,
        ca_file=args.broker_ca,
    )
    return LinkedAlarmSink.connect(
        Outbox(args.outbox, sealer=sealer), config, site=args.site, camera_id=args.camera_id
    )


def _log_alarm(alarm: CctvFaceAlarm) -> None:
    log.warning(
        "ALARM camera=%s entry=%s score=%.3f track=%d",
        alarm.camera_id,
        alarm.entry_id,
        alarm.score,
        alarm.track_id,
    )
