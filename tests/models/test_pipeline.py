"""Detection, alignment, embedding and comparison on the credited fixture photos."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from numpy.typing import NDArray

from models import ConfigError, Detection, FaceConfig, FacePipeline, FaceTemplate, NoFaceError, TemplateError
from models.detection import iou
from models.manifest import default_model_dir
from models.prepare import RECIPES, SFACE_SOURCE, YUNET_SOURCE, load_source, repair, source_directory

from .conftest import GENUINE_PAIRS, IDENTITY, PHOTOS, u8

Photo = Callable[[str], NDArray[np.uint8]]


def _opencv_detection(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """OpenCV's own YuNet on the package's original int8 file: an independent implementation."""
    detector = cv2.FaceDetectorYN.create(str(source_directory() / YUNET_SOURCE.file), "", (320, 320))
    detector.setInputSize((image.shape[1], image.shape[0]))
    _, faces = detector.detect(image)
    assert faces is not None
    return np.asarray(faces[0], dtype=np.float32)


@pytest.mark.parametrize("name", PHOTOS)
def test_each_fixture_photo_has_exactly_one_face(pipeline: FacePipeline, photo: Photo, name: str) -> None:
    assert len(pipeline.detect(photo(name))) == 1


@pytest.mark.parametrize("name", PHOTOS)
def test_detection_agrees_with_opencvs_yunet(pipeline: FacePipeline, photo: Photo, name: str) -> None:
    image = photo(name)
    ours = pipeline.detect(image)[0]
    theirs = _opencv_detection(image)
    assert iou(ours.box, tuple(float(v) for v in theirs[:4])) > 0.75  # type: ignore[arg-type]
    landmark_error = np.linalg.norm(ours.landmarks_array() - theirs[4:14].reshape(5, 2), axis=1)
    assert landmark_error.max() < 0.15 * ours.inter_eye_distance


def test_a_blank_frame_has_no_face(pipeline: FacePipeline) -> None:
    assert pipeline.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_two_people_side_by_side_are_two_faces(pipeline: FacePipeline, photo: Photo) -> None:
    left, right = photo("person_b_1"), photo("impostor_1")
    height = min(left.shape[0], right.shape[0])
    frame = np.hstack([left[:height], right[:height]])
    assert len(pipeline.detect(frame)) == 2


def test_coordinates_are_in_frame_pixels_whatever_the_frame_size(
    pipeline: FacePipeline, photo: Photo
) -> None:
    image = photo("person_b_1")
    half = u8(cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA))
    full, small = pipeline.detect(image)[0], pipeline.detect(half)[0]
    assert small.inter_eye_distance == pytest.approx(full.inter_eye_distance / 2, rel=0.08)
    assert small.landmarks[2][0] == pytest.approx(
        full.landmarks[2][0] / 2, abs=0.05 * small.inter_eye_distance
    )


@pytest.fixture(scope="module")
def shipped_sface_for_opencv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped SFace graph with only its input declarations repaired, for OpenCV to run.

    Not our prepared file: that one has its PRelu nodes rewritten as convolutions and its weights
    dequantised by us, so OpenCV running *it* would not check those rewrites. Here OpenCV computes
    PRelu and DequantizeLinear itself (it refuses the file as shipped: 174 declared inputs).
    """
    (int8,) = [r for r in RECIPES if r.name == "sface-2021dec-int8"]
    model, _ = repair(dataclasses.replace(int8, rewrite_prelu=False), load_source(SFACE_SOURCE))
    assert any(n.op_type == "PRelu" for n in model.graph.node)
    path = tmp_path_factory.mktemp("opencv") / "sface-shipped-graph.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("name", PHOTOS)
def test_embedding_equals_opencvs_face_recognizer_on_the_same_crop(
    pipeline: FacePipeline, photo: Photo, name: str, shipped_sface_for_opencv: Path
) -> None:
    image = photo(name)
    crop = pipeline.align(image, pipeline.detect(image)[0])
    recogniser = cv2.FaceRecognizerSF.create(str(shipped_sface_for_opencv), "")
    theirs = FaceTemplate.from_embedding("sface", "2021dec", np.asarray(recogniser.feature(crop), np.float32))
    assert pipeline.embed_aligned(crop).similarity(theirs) >= 0.999


def test_our_alignment_matches_opencvs_align_crop_for_the_same_landmarks(
    pipeline: FacePipeline, photo: Photo
) -> None:
    image = photo("person_a_2")
    face = pipeline.detect(image)[0]
    row = np.array([*face.box, *face.landmarks_array().reshape(-1), face.score], dtype=np.float32)
    recogniser = cv2.FaceRecognizerSF.create(str(default_model_dir() / "sface-2021dec-float.onnx"), "")
    theirs = pipeline.embed_aligned(u8(recogniser.alignCrop(image, row)))
    assert pipeline.embed(image, face).similarity(theirs) >= 0.99


def test_int8_and_float_embedders_give_compatible_templates(pipeline: FacePipeline, photo: Photo) -> None:
    int8 = FacePipeline.load(FaceConfig(embedder="sface-2021dec-int8"))
    image = photo("person_b_2")
    assert pipeline.enrol(image).similarity(int8.enrol(image)) >= 0.99


@pytest.mark.parametrize(("probe", "reference"), GENUINE_PAIRS)
def test_genuine_pairs_match(pipeline: FacePipeline, photo: Photo, probe: str, reference: str) -> None:
    result = pipeline.verify(photo(probe), pipeline.enrol(photo(reference)))
    assert result.match
    assert result.score >= result.threshold


@pytest.mark.parametrize(
    ("probe", "reference"), [(a, b) for a, b in combinations(PHOTOS, 2) if IDENTITY[a] != IDENTITY[b]]
)
def test_impostor_pairs_do_not_match(
    pipeline: FacePipeline, photo: Photo, probe: str, reference: str
) -> None:
    result = pipeline.verify(photo(probe), pipeline.enrol(photo(reference)))
    assert not result.match


def test_verify_reports_quality_and_the_time_of_each_step(pipeline: FacePipeline, photo: Photo) -> None:
    result = pipeline.verify(photo("person_a_2"), pipeline.enrol(photo("person_a_1")))
    assert set(result.timings_ms) == {"detect", "align", "embed"}
    assert all(v > 0 for v in result.timings_ms.values())
    assert result.quality.measures["face_count"] == 1
    assert result.threshold == pipeline.config.match_threshold


def test_enrolling_a_photo_without_a_face_says_so(pipeline: FacePipeline) -> None:
    with pytest.raises(NoFaceError, match="no face"):
        pipeline.enrol(np.zeros((300, 300, 3), np.uint8))


def test_the_same_photo_compares_as_identical(pipeline: FacePipeline, photo: Photo) -> None:
    template = pipeline.enrol(photo("impostor_2"))
    assert pipeline.compare(template, pipeline.enrol(photo("impostor_2"))) == pytest.approx(1.0, abs=1e-5)


def test_templates_of_another_model_are_refused(pipeline: FacePipeline, photo: Photo) -> None:
    ours = pipeline.enrol(photo("person_a_1"))
    other = FaceTemplate.from_embedding("mobilefacenet", "1", ours.vector)
    with pytest.raises(TemplateError, match="re-enrol"):
        pipeline.compare(ours, other)


def test_detection_reports_five_landmarks_inside_the_box(pipeline: FacePipeline, photo: Photo) -> None:
    face: Detection = pipeline.detect(photo("person_b_1"))[0]
    x, y, w, h = face.box
    assert len(face.landmarks) == 5
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)


def _in_gate_frame(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A portrait scaled into a 640×480 camera frame (as the benchmark does)."""
    scale = min(640 / image.shape[1], 480 / image.shape[0])
    small = u8(cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale))))
    frame = np.full((480, 640, 3), 40, np.uint8)
    x = (640 - small.shape[1]) // 2
    frame[: small.shape[0], x : x + small.shape[1]] = small
    return frame


@pytest.fixture(scope="module", params=[320, 480])
def reduced(request: pytest.FixtureRequest) -> FacePipeline:
    return FacePipeline.load(FaceConfig(detect_size=request.param))


@pytest.mark.parametrize("name", PHOTOS)
def test_a_reduced_detection_size_finds_the_same_face_in_a_gate_frame(
    pipeline: FacePipeline, reduced: FacePipeline, photo: Photo, name: str
) -> None:
    frame = _in_gate_frame(photo(name))
    (full,) = pipeline.detect(frame)
    (small,) = reduced.detect(frame)
    assert iou(full.box, small.box) > 0.85
    # Landmarks come back in frame pixels, near the full-resolution ones. YuNet's landmarks move with
    # the resampling (seen: up to 0.15 of the eye distance at 320, 0.18 at 480), hence the margin.
    error = np.linalg.norm(full.landmarks_array() - small.landmarks_array(), axis=1)
    assert error.max() < 0.25 * full.inter_eye_distance


@pytest.mark.parametrize(("probe", "reference"), GENUINE_PAIRS)
def test_a_reduced_detection_size_keeps_matches_and_quality(
    pipeline: FacePipeline, reduced: FacePipeline, photo: Photo, probe: str, reference: str
) -> None:
    template = pipeline.enrol(photo(reference))
    frame = _in_gate_frame(photo(probe))
    full, small = pipeline.verify(frame, template), reduced.verify(frame, template)
    assert small.match
    assert small.score == pytest.approx(full.score, abs=0.1)  # seen: within 0.06
    assert small.quality.ok == full.quality.ok


@pytest.mark.parametrize(("probe", "reference"), [("person_a_1", "impostor_1"), ("person_b_1", "impostor_2")])
def test_a_reduced_detection_size_keeps_impostors_apart(
    pipeline: FacePipeline, reduced: FacePipeline, photo: Photo, probe: str, reference: str
) -> None:
    result = reduced.verify(_in_gate_frame(photo(probe)), pipeline.enrol(photo(reference)))
    assert not result.match


def test_the_detector_input_is_the_frame_padded_to_multiples_of_32(pipeline: FacePipeline) -> None:
    from models.yunet import YuNetDetector

    assert isinstance(pipeline.detector, YuNetDetector)
    assert pipeline.detector.canvas_size(640, 480) == (640, 480, 1.0)
    assert pipeline.detector.canvas_size(1280, 720)[:2] == (640, 384)


def test_a_detection_size_that_is_not_a_multiple_of_32_is_refused() -> None:
    with pytest.raises(ConfigError, match="multiple of 32"):
        FaceConfig(detect_size=300)
