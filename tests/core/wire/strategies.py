"""Hypothesis strategies derived from a message class's type hints, so every registered type,
including those added later, gets round-trip and fuzz coverage without writing a strategy for it."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from hypothesis import strategies as st

from core.wire import MaxLen, Message, Pattern, Range

INT64 = (-(2**63), 2**63 - 1)
_TEXT = st.text(max_size=20)


def _constrained(base: Any, constraints: list[object]) -> st.SearchStrategy[Any]:
    pattern = next((c for c in constraints if isinstance(c, Pattern)), None)
    bounds = next((c for c in constraints if isinstance(c, Range)), None)
    max_len = next((c.n for c in constraints if isinstance(c, MaxLen)), None)
    if pattern is not None:
        return st.from_regex(pattern.regex, fullmatch=True)
    if bounds is not None and base is int:
        lo = INT64[0] if bounds.min is None else int(bounds.min)
        hi = INT64[1] if bounds.max is None else int(bounds.max)
        return st.integers(lo, hi)
    if bounds is not None and base is float:
        return st.floats(bounds.min, bounds.max, allow_nan=False, allow_infinity=False)
    if max_len is not None and base is str:
        return st.text(max_size=min(max_len, 40))
    return strategy_for(base)


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any field type the wire contract allows."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return _constrained(args[0], list(tp.__metadata__))
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of(*(strategy_for(a) for a in args))
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=4).map(tuple)
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8), strategy_for(args[1]), max_size=4)
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(*INT64)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is str:
        return _TEXT
    if tp is bytes:
        return st.binary(max_size=48)
    if tp is datetime:
        return st.datetimes(datetime(1900, 1, 1), datetime(2300, 1, 1), timezones=st.just(UTC))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return instances_of(tp)
    raise TypeError(f"no strategy for {tp!r}: extend tests/core/wire/strategies.py with the new field type")


def instances_of(cls: type) -> st.SearchStrategy[Any]:
    """Instances of a dataclass (message or nested structure) with every field drawn."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return st.builds(cls, **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(cls)})


def messages() -> st.SearchStrategy[Message]:
    """Any registered message."""
    from core.wire import MESSAGE_TYPES

    return st.one_of(*(instances_of(cls) for cls in MESSAGE_TYPES.values()))


def msgpack_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Arbitrary msgpack-encodable structures (junk that is still valid msgpack)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(*INT64),
        st.floats(),
        st.text(max_size=12),
        st.binary(max_size=12),
        st.datetimes(timezones=st.just(UTC)),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=10), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )
