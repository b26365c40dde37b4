"""Issue 12: log-in rate limits per account and per client address, on the real app and a manual clock.

Five free failures per account (twenty per address); each further failure locks for 30 s, doubling up to
15 min. A locked log-in answers 429 with Retry-After and a bilingual message, and is audited.
"""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from central.app import create_app
from central.auth import LoginLimiter
from central.service import Central
from core.clock import ManualClock
from tests.central.conftest import PASSWORD

WRONG = "not the password at all"


def token(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    return response.status_code


def actions(central: Central, action: str) -> list[str]:
    return [r["actor"] for r in central.store.audit_trail() if r["action"] == action]


def test_an_account_is_locked_after_five_failures_and_unlocked_by_time(
    client: TestClient, central: Central, clock: ManualClock
) -> None:
    assert [token(client, "officer", WRONG) for _ in range(5)] == [401] * 5
    assert actions(central, "login.locked") == []
    assert token(client, "officer", WRONG) == 401  # the sixth failure starts a 30 s lockout
    assert actions(central, "login.locked") == ["officer"]

    refused = client.post("/api/v1/tokens", json={"username": "officer", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    message = refused.json()["error"]["message"]
    assert "Terlalu banyak percobaan masuk" in message and "Too many failed log-in attempts" in message
    assert actions(central, "login.throttled") == ["officer"]

    clock.advance(10)
    again = client.post("/api/v1/tokens", json={"username": "OFFICER", "password": PASSWORD})
    assert again.status_code == 429 and again.headers["retry-after"] == "20"

    clock.advance(21)
    assert token(client, "officer", WRONG) == 401  # the seventh failure: 60 s
    assert (
        client.post("/api/v1/tokens", json={"username": "officer", "password": PASSWORD}).headers[
            "retry-after"
        ]
        == "60"
    )
    clock.advance(61)
    assert token(client, "officer", PASSWORD) == 201
    # success forgets the account's failures: five free ones again
    assert [token(client, "officer", WRONG) for _ in range(5)] == [401] * 5
    assert token(client, "officer", PASSWORD) == 201


def test_other_accounts_are_not_locked_by_one_account(client: TestClient) -> None:
    for _ in range(6):
        token(client, "officer", WRONG)
    assert token(client, "officer", PASSWORD) == 429
    assert token(client, "supervisor", PASSWORD) == 201


def test_an_address_guessing_many_accounts_is_locked_other_addresses_are_not(
    central: Central, clock: ManualClock
) -> None:
    app = create_app(central)
    with (
        TestClient(app, client=("10.0.0.7", 40000)) as guesser,
        TestClient(app, client=("10.0.0.8", 40000)) as colleague,
    ):
        for n in range(20):
            assert token(guesser, f"nobody-{n}", WRONG) == 401
        assert token(guesser, "nobody-20", WRONG) == 401  # the 21st failure from this address
        assert token(guesser, "administrator", PASSWORD) == 429
        assert token(colleague, "administrator", PASSWORD) == 201
        throttled = [r for r in central.store.audit_trail() if r["action"] == "login.throttled"]
        assert [(r["actor"], r["target"]) for r in throttled] == [("administrator", "10.0.0.7")]
        clock.advance(31)
        assert token(guesser, "administrator", PASSWORD) == 201


def test_the_dashboard_form_is_limited_with_a_bilingual_page(client: TestClient, central: Central) -> None:
    html = {"accept": "text/html"}
    for _ in range(6):
        failed = client.post(
            "/login", data={"username": "supervisor", "password": WRONG}, headers=html, follow_redirects=False
        )
        assert failed.status_code == 401
    locked = client.post(
        "/login", data={"username": "supervisor", "password": PASSWORD}, headers=html, follow_redirects=False
    )
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "30"
    assert (
        "Terlalu banyak percobaan masuk" in locked.text and "Too many failed log-in attempts" in locked.text
    )
    assert "central_session" not in locked.cookies
    assert actions(central, "login.locked") == ["supervisor"]


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 2000), st.booleans()), max_size=60),
)
def test_the_limiter_never_locks_early_nor_longer_than_its_cap(steps: list[tuple[str, int, bool]]) -> None:
    limiter = LoginLimiter(free_per_account=3, free_per_address=1000, base_lock_s=10, max_lock_s=100)
    clock = ManualClock()
    streak = {"a": 0, "b": 0}
    last: dict[str, datetime] = {}
    for user, wait, ok in steps:
        clock.advance(wait)
        now: datetime = clock.now()
        retry = limiter.retry_after(user, "addr", now=now)
        assert 0 <= retry <= 100
        if retry:
            assert streak[user] > 3  # never locked before its free failures are used up
            continue
        if ok:
            limiter.succeeded(user, "addr")
            streak[user] = 0
        else:
            stale = user in last and (now - last[user]).total_seconds() > limiter.forget_s
            streak[user] = 1 if stale else streak[user] + 1
            last[user] = now
            lock = limiter.failed(user, "addr", now=now)
            assert (lock > 0) == (streak[user] > 3)
            assert lock <= 100
