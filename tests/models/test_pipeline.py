"""Detection, alignment, embedding and comparison on the credited fixture photos."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from models import Detection, FaceConfig, FacePipeline, FaceTemplate, NoFaceError, TemplateError
from models.detection import iou
from models.manifest import default_model_dir
from models.prepare import YUNET_SOURCE, source_directory

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


@pytest.mark.parametrize("name", PHOTOS)
def test_embedding_equals_opencvs_face_recognizer_on_the_same_crop(
    pipeline: FacePipeline, photo: Photo, name: str
) -> None:
    image = photo(name)
    crop = pipeline.align(image, pipeline.detect(image)[0])
    recogniser = cv2.FaceRecognizerSF.create(str(default_model_dir() / "sface-2021dec-float.onnx"), "")
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
