"""Templates on the wire, the 1:N gallery, and configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from models import ConfigError, FaceConfig, FacePipeline, FaceTemplate, Gallery, TemplateError

from .conftest import IDENTITY, PHOTOS

Photo = Callable[[str], NDArray[np.uint8]]


def test_a_template_survives_bytes_unchanged(pipeline: FacePipeline, photo: Photo) -> None:
    template = pipeline.enrol(photo("person_a_1"))
    again = FaceTemplate.from_bytes(template.to_bytes())
    assert again == template
    assert (again.model_id, again.version) == ("sface", "2021dec")
    assert again.vector.dtype == np.dtype(np.float32)


def test_the_wire_form_names_model_version_and_float32_vector(pipeline: FacePipeline, photo: Photo) -> None:
    payload = msgpack.unpackb(pipeline.enrol(photo("person_a_1")).to_bytes())
    assert payload["model"] == "sface" and payload["version"] == "2021dec"
    assert len(payload["vector"]) == 128 * 4


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_either_a_template_or_a_template_error(data: bytes) -> None:
    try:
        template = FaceTemplate.from_bytes(data)
    except TemplateError:
        return
    assert np.all(np.isfinite(template.vector))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=64).filter(
        lambda v: max(map(abs, v)) > 1e-3
    )
)
def test_templates_are_unit_length_so_self_similarity_is_one(values: list[float]) -> None:
    template = FaceTemplate.from_embedding("m", "1", np.asarray(values))
    assert template.similarity(template) == pytest.approx(1.0, abs=1e-5)


def test_a_zero_embedding_is_refused() -> None:
    with pytest.raises(TemplateError):
        FaceTemplate.from_embedding("m", "1", np.zeros(128))


def test_the_gallery_finds_the_same_person_first(pipeline: FacePipeline, photo: Photo) -> None:
    enrolled = ["person_a_1", "person_b_1", "impostor_1", "impostor_2"]
    gallery = Gallery.from_templates((IDENTITY[n], pipeline.enrol(photo(n))) for n in enrolled)
    hits = gallery.search(pipeline.enrol(photo("person_b_2")), k=3)
    assert hits[0][0] == "b"
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


def test_gallery_search_on_many_entries_returns_top_k_in_order() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 16))
    gallery = Gallery.from_templates(
        (i, FaceTemplate.from_embedding("m", "1", v)) for i, v in enumerate(vectors)
    )
    probe = FaceTemplate.from_embedding("m", "1", vectors[42] + rng.normal(0, 0.01, 16))
    hits = gallery.search(probe, k=5)
    assert hits[0][0] == 42
    scores = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)) @ probe.vector
    assert [k for k, _ in hits] == list(np.argsort(-scores)[:5])


def test_the_gallery_refuses_templates_of_another_model(pipeline: FacePipeline, photo: Photo) -> None:
    gallery = Gallery.from_templates([("a", pipeline.enrol(photo(PHOTOS[0])))])
    with pytest.raises(TemplateError):
        gallery.add("x", FaceTemplate.from_embedding("other", "1", np.ones(128)))


def test_config_from_toml_overrides_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "face.toml"
    path.write_text("[face]\nmatch_threshold = 0.5\nthreads = 1\n[face.quality]\nmin_inter_eye_px = 45\n")
    config = FaceConfig.from_toml(path)
    assert (config.match_threshold, config.threads, config.quality.min_inter_eye_px) == (0.5, 1, 45.0)
    assert config.quality.max_yaw_deg == FaceConfig().quality.max_yaw_deg


def test_an_unknown_config_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="match_treshold"):
        FaceConfig.from_mapping({"match_treshold": 0.4})


def test_a_threshold_outside_the_cosine_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="between -1 and 1"):
        FaceConfig(match_threshold=2.0)


def test_an_unknown_model_name_is_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError, match="sface-2021dec-float"):
        FacePipeline.load(FaceConfig(embedder="mobilefacenet"))


def test_the_default_threshold_is_opencvs_published_operating_point() -> None:
    assert FaceConfig().match_threshold == 0.363
