"""Who may do what: users with argon2 password hashes and roles, sessions, bearer tokens, CSRF.

Roles (issue 8): officers watch; supervisors act on gates and write incident reports; the head of office
also reads every report; administrators manage users and devices. Devices authenticate with their own
bearer token and may only call the few endpoints made for them (enrolment records).
"""

from __future__ import annotations

import hmac
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from central.errors import CentralError, Invalid
from central.store import Row, Store

ROLES = ("officer", "supervisor", "head_of_office", "administrator")
# Who may do what; every endpoint names one of these (see central/api/deps.py).
STAFF = ROLES
ACTORS = ("supervisor", "head_of_office")  # act on gates and alerts (SOP-003-A08: the autogate supervisor)
MANAGERS = ("supervisor", "head_of_office", "administrator")  # reports, audit
ADMINS = ("administrator",)
DEVICE = "device"
SESSION_HOURS = 12
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class AuthError(CentralError, PermissionError):
    """Not logged in, a wrong password, or a role that may not do this."""


class NotAuthenticated(AuthError):
    """No valid session or token came with the request."""


class Forbidden(AuthError):
    """The caller is known but its role may not do this (or a form lacked its CSRF token)."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a user (with a role) or a device."""

    name: str
    role: str
    via: str  # "session", "api" or "device"
    csrf: str = ""
    language: str = "id"

    @property
    def is_device(self) -> bool:
        return self.role == DEVICE


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short; use at least {MIN_PASSWORD} characters")


def add_user(
    store: Store, username: str, password: str, role: str, *, now: datetime, language: str = "id"
) -> None:
    if role not in ROLES:
        raise Invalid(f"role {role!r} is not one of {', '.join(ROLES)}")
    if (
        not username
        or len(username) > 64
        or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise Invalid(f"user name {username!r} must be 1-64 letters, digits, '.', '-' or '_'")
    if language not in ("id", "en"):
        raise Invalid(f"language {language!r} must be 'id' (Bahasa Indonesia) or 'en' (English)")
    check_password_rules(password)
    store.add_user(username, hash_password(password), role, now=now, language=language)
    store.audit("system", "user.add", now=now, target=username, role=role)


def check_password(store: Store, username: str, password: str, *, now: datetime) -> Row:
    """The user's row when the password is right; every attempt, right or wrong, is audited."""
    user = store.user(username)
    ok = False
    if user is not None and not user["disabled"]:
        try:
            ok = _hasher.verify(user["password_hash"], password)
        except (VerificationError, InvalidHashError):
            ok = False
    store.audit(username[:64], "login" if ok else "login.failed", now=now)
    if not ok or user is None:
        raise NotAuthenticated("wrong user name or password; ask an administrator to reset it if forgotten")
    if _hasher.check_needs_rehash(user["password_hash"]):
        store.set_password_hash(username, hash_password(password))
    return user


@dataclass
class _Failures:
    count: int = 0
    last: datetime | None = None
    locked_until: datetime | None = None


@dataclass
class LoginLimiter:
    """Failed log-ins per account and per client address, with a lockout that doubles (issue 12).

    The first ``free_per_account`` failures of an account (``free_per_address`` of an address: offices
    share a NAT) cost nothing; each further one locks that key for ``base_lock_s`` x 2^(n-1) seconds, at
    most ``max_lock_s``. A key's count is forgotten ``forget_s`` after its last failure; a successful
    log-in clears the account's count (not the address's, so one valid account cannot reset guessing
    from the same address). At most ``capacity`` keys are remembered (the oldest go first).

    In memory, by decision (docs/security.md § Web and API): exact for one ``central serve`` process;
    several instances behind a balancer each count on their own (up to N times the free guesses) and a
    restart forgets. Sharing it through the store needs its own indexed table (a migration); counting the
    unindexed, never-pruned ``audit`` rows per attempt would let a log-in flood load the database.
    """

    free_per_account: int = 5
    free_per_address: int = 20
    base_lock_s: float = 30.0
    max_lock_s: float = 900.0
    forget_s: float = 3600.0
    capacity: int = 10_000
    _keys: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username.strip().lower()[:64]}", f"addr:{address}"

    def retry_after(self, username: str, address: str, *, now: datetime) -> int:
        """Whole seconds until this account and address may try again (0: now)."""
        wait = 0.0
        for key in self.keys(username, address):
            entry = self._keys.get(key)
            if entry is not None and entry.locked_until is not None:
                wait = max(wait, (entry.locked_until - now).total_seconds())
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, username: str, address: str, *, now: datetime) -> int:
        """Count a failure; returns the lockout (seconds) it starts, 0 when none."""
        lock = 0.0
        frees = (self.free_per_account, self.free_per_address)
        for key, free in zip(self.keys(username, address), frees, strict=True):
            entry = self._keys.pop(key, None) or _Failures()
            if entry.last is not None and (now - entry.last).total_seconds() > self.forget_s:
                entry = _Failures()
            entry.count += 1
            entry.last = now
            if entry.count > free:
                seconds = min(self.max_lock_s, self.base_lock_s * 2 ** (entry.count - free - 1))
                entry.locked_until = now + timedelta(seconds=seconds)
                lock = max(lock, seconds)
            self._keys[key] = entry
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return math.ceil(lock)

    def succeeded(self, username: str, address: str) -> None:
        self._keys.pop(self.keys(username, address)[0], None)


def throttled_message(seconds: int) -> str:
    """The bilingual answer to a locked-out log-in (Bahasa Indonesia / English)."""
    return (
        f"Terlalu banyak percobaan masuk yang gagal; coba lagi dalam {seconds} detik. / "
        f"Too many failed log-in attempts; try again in {seconds} seconds."
    )


def login(store: Store, username: str, password: str, *, now: datetime) -> tuple[str, Principal]:
    """Check the password and open a dashboard session; returns the session secret (for the cookie)."""
    user = check_password(store, username, password, now=now)
    secret, csrf = store.issue_token(
        "session", now=now, username=username, expires_at=now + timedelta(hours=SESSION_HOURS)
    )
    return secret, Principal(username, user["role"], "session", csrf, user["language"])


def issue_api_token(store: Store, username: str, *, now: datetime) -> str:
    if store.user(username) is None:
        raise Invalid(f"no user {username!r}; add it first with `python -m central user add`")
    secret, _ = store.issue_token("api", now=now, username=username)
    store.audit(username, "token.issue", now=now)
    return secret


def principal_for(store: Store, secret: str, *, now: datetime) -> Principal | None:
    """The principal a session cookie or bearer token stands for, or None when unknown or expired."""
    if not secret:
        return None
    token: Row | None = store.token(secret)
    if token is None or (token["expires_at"] is not None and token["expires_at"] <= now):
        return None
    if token["kind"] == DEVICE:
        return Principal(token["device_id"], DEVICE, DEVICE)
    user = store.user(token["username"])
    if user is None or user["disabled"]:
        return None
    return Principal(user["username"], user["role"], token["kind"], token["csrf"], user["language"])


def require(principal: Principal | None, roles: tuple[str, ...]) -> Principal:
    if principal is None:
        raise NotAuthenticated("not logged in; log in on /login or send 'Authorization: Bearer TOKEN'")
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role!r} may not do this; it needs one of: {', '.join(roles)}")
    return principal


def csrf_ok(principal: Principal, presented: str | None) -> bool:
    """Forms posted with a session cookie must echo the session's CSRF token; bearer calls need none."""
    if principal.via != "session":
        return True
    return bool(presented) and hmac.compare_digest(principal.csrf, presented or "")


__all__ = [
    "ACTORS",
    "ADMINS",
    "DEVICE",
    "MANAGERS",
    "ROLES",
    "STAFF",
    "AuthError",
    "Forbidden",
    "LoginLimiter",
    "NotAuthenticated",
    "Principal",
    "add_user",
    "check_password",
    "csrf_ok",
    "issue_api_token",
    "login",
    "principal_for",
    "require",
    "throttled_message",
]
