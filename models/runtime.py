"""onnxruntime sessions made the same way for every model."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def make_session(path: Path, threads: int) -> Any:
    """A CPU session with a fixed thread count, so the gate's timing does not depend on what else runs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
