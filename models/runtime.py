"""onnxruntime sessions made the same way for every model."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path
from typing import Any


def make_session(path: Path, threads: int) -> Any:
    """A CPU session with a fixed thread count, so the gate's timing does not depend on what else runs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # ALL, not BASIC: BASIC held ~14 MB less but made YuNet about twice as slow (bench/results/face.md).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The memory pattern planner keeps one extra pre-planned block per input shape on top of the arena;
    # turning it off took ~20 MB off the steady RSS for no measurable per-frame cost (bench/results/face.md).
    options.enable_mem_pattern = False
    # No weight pre-packing: building the packed copies of SFace's 38.7 MB of weights is what set the
    # load-time peak (183-187 -> 158-162 MB VmHWM with it off), and per-frame medians did not change
    # measurably (1 thread 45.7-46.5 vs 45.9-46.4 ms, interleaved A/B; bench/results/face.md).
    options.add_session_config_entry("session.disable_prepacking", "1")
    # Worker threads sleep instead of spinning between operators: a gate shares its two cores with the
    # camera, MQTT and UI, and a spinning worker takes the core those need. Interleaved A/B runs on a
    # busy 2-core machine: 2-thread median 27-112 ms without spinning vs 57-133 ms with it.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    release_free_heap()
    return session


def release_free_heap() -> None:
    """Hand freed heap pages back to the OS (glibc ``malloc_trim``); a no-op elsewhere.

    Building a session parses the whole protobuf and copies the weights; those temporaries are freed but
    glibc keeps the pages, so without this the process stays ~40 MB larger than what it holds.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # musl or another libc without malloc_trim
        return
    trim(0)
