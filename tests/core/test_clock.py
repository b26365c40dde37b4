from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import ManualClock, SystemClock


def test_manual_clock_fires_timers_in_due_order_at_their_own_time() -> None:
    clock = ManualClock()
    seen: list[tuple[str, float]] = []
    clock.call_later(2.0, lambda: seen.append(("b", clock.monotonic())))
    clock.call_later(1.0, lambda: seen.append(("a", clock.monotonic())))
    clock.advance(5.0)
    assert seen == [("a", 1.0), ("b", 2.0)]
    assert clock.monotonic() == 5.0


def test_cancelled_timer_never_fires() -> None:
    clock = ManualClock()
    seen: list[int] = []
    timer = clock.call_later(1.0, lambda: seen.append(1))
    timer.cancel()
    clock.advance(2.0)
    assert seen == []
    assert clock.pending() == 0


def test_timer_scheduled_by_a_timer_fires_within_the_same_advance() -> None:
    clock = ManualClock()
    seen: list[float] = []
    clock.call_later(1.0, lambda: clock.call_later(1.0, lambda: seen.append(clock.monotonic())))
    clock.advance(3.0)
    assert seen == [2.0]


def test_wall_time_follows_monotonic_time() -> None:
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    clock = ManualClock(start)
    clock.advance(90)
    assert clock.now() == start + timedelta(seconds=90)


def test_time_cannot_go_backwards_and_start_must_be_aware() -> None:
    with pytest.raises(ValueError):
        ManualClock().advance(-1)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


def test_system_clock_now_is_utc_aware() -> None:
    assert SystemClock().now().tzinfo is not None


def test_scaled_clock_runs_faster_than_real_time_and_scales_timers() -> None:
    import threading
    import time

    from core.clock import ScaledClock

    clock = ScaledClock(100.0)
    fired = threading.Event()
    started = time.monotonic()
    clock.call_later(5.0, fired.set)  # 5 clock seconds = 50 ms real
    assert fired.wait(2.0)
    real = time.monotonic() - started
    assert real < 1.0
    assert clock.monotonic() >= 5.0
    with pytest.raises(ValueError):
        ScaledClock(0)
