"""The central fixtures (store, manual clock, users of every role, cheap argon2) for the security tests."""

from tests.central.conftest import central, cheap_password_hashing, client, clock, store

__all__ = ["central", "cheap_password_hashing", "client", "clock", "store"]
