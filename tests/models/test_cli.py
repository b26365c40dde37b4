"""``python -m models verify`` and ``evaluate``: exit codes, JSON, honest small-set notes, the DET plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.__main__ import main
from models.evaluate import clopper_pearson, collect_people, operating_points

from .conftest import FACES, IDENTITY, PHOTOS


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_verify_a_genuine_pair_exits_0_with_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _verify(capsys, str(FACES / "person_b_2.jpg"), str(FACES / "person_b_1.jpg"))
    assert code == 0
    assert result["match"] is True
    assert set(result) == {"score", "threshold", "match", "quality", "timings_ms"}
    assert set(result["timings_ms"]) == {"detect", "align", "embed"}


def test_verify_an_impostor_pair_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _verify(capsys, str(FACES / "person_a_2.jpg"), str(FACES / "impostor_2.jpg"))
    assert code == 1
    assert result["match"] is False


def test_verify_without_a_face_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import cv2

    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 200, np.uint8))
    code, result = _verify(capsys, str(blank), str(FACES / "person_a_1.jpg"))
    assert code == 2
    assert "no face" in str(result["error"])


def test_verify_prints_a_readable_verdict_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(FACES / "person_a_1.jpg"), str(FACES / "person_a_2.jpg")]) == 0
    assert capsys.readouterr().out.startswith("MATCH")


@pytest.fixture
def per_person(tmp_path: Path) -> Path:
    """The fixtures as one folder per person (symlinks), since two different people are named impostor_*."""
    root = tmp_path / "people"
    for name in PHOTOS:
        folder = root / IDENTITY[name]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jpg").symlink_to(FACES / f"{name}.jpg")
    return root


def test_evaluate_counts_pairs_and_says_the_set_is_too_small(
    capsys: pytest.CaptureFixture[str], per_person: Path, tmp_path: Path
) -> None:
    plot = tmp_path / "det.png"
    assert main(["evaluate", str(per_person), "--json", "--plot", str(plot)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["genuine_scores"]) == 2
    assert len(result["impostor_scores"]) == 13
    assert all(p["fnmr"] is None and "too few" in p["note"] for p in result["operating_points"])
    assert result["at_configured_threshold"]["false_matches"] == 0
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_a_flat_folder_groups_files_by_the_name_before_the_last_underscore(tmp_path: Path) -> None:
    for name in ("ani_1.jpg", "ani_2.jpg", "budi_santoso_1.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    people = collect_people(tmp_path)
    assert {k: len(v) for k, v in people.items()} == {"ani": 2, "budi_santoso": 1}


def test_fnmr_is_given_once_there_are_enough_impostor_comparisons() -> None:
    impostor = [i / 100 for i in range(40)]  # 0.00 … 0.39
    genuine = [0.2, 0.5, 0.6, 0.7]
    (point,) = operating_points(genuine, impostor, [0.1])
    assert point.threshold is not None and point.fnmr is not None
    assert sum(s >= point.threshold for s in impostor) / len(impostor) <= 0.1
    assert point.fnmr == sum(s < point.threshold for s in genuine) / len(genuine)


def test_zero_errors_in_ten_trials_has_the_known_upper_bound() -> None:
    low, high = clopper_pearson(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.3085, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(trials=st.integers(1, 200), data=st.data())
def test_the_confidence_interval_contains_the_observed_rate(trials: int, data: st.DataObject) -> None:
    errors = data.draw(st.integers(0, trials))
    low, high = clopper_pearson(errors, trials)
    assert 0.0 <= low <= errors / trials <= high <= 1.0
    assert not math.isnan(low + high)
