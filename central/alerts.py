"""How an alert is shown outside the store: the face image is served on its own URL, not inlined."""

from __future__ import annotations

from typing import Any

from central.store import Row


def public_alert(alert: Row) -> dict[str, Any]:
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in alert.items() if k != "face_jpeg"}
    out["has_face"] = alert.get("face_jpeg") is not None
    return out
