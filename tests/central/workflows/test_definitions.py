"""SOP definitions are checked when loaded; bad ones are refused with a message naming the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central.workflows.definitions import Catalogue, parse_sop, parse_standard
from central.workflows.errors import DefinitionError

SHIPPED = (
    "SOP-000",
    "SOP-001",
    "SOP-002",
    "SOP-004",
    "SOP-003-A03",
    "SOP-003-A04",
    "SOP-003-A05",
    "SOP-003-A06",
    "SOP-003-A07",
    "SOP-003-B02",
    "SOP-003-B03",
    "SOP-003-B04",
    "SOP-003-B05",
    "SOP-003-B06",
    "SOP-003-B07",
    "SOP-003-B08",
    "SOP-003-B09",
    "SOP-003-C01",
)


def sop(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"id": "SOP-T", "title_id": "Uji", "title_en": "Test", "service_code": "T", "steps": list(steps)}


def step(no: str, **extra: Any) -> dict[str, Any]:
    return {"no": no, "name": f"step {no}", "role": "counter", "standard": "5 min", **extra}


def test_every_issue_9_sop_is_shipped_and_loads() -> None:
    assert set(SHIPPED) <= set(Catalogue.load().sops)


def test_both_variants_of_itas_from_vitas_and_skim_serve_the_same_service() -> None:
    services = Catalogue.load().services()
    assert [s.id for s in services["ITAS-VITAS"]] == ["SOP-000", "SOP-003-B06"]
    assert [s.id for s in services["SKIM"]] == ["SOP-001", "SOP-003-B09"]


def test_an_office_chooses_a_variant_by_configuration() -> None:
    assert Catalogue.load(choices={"ITAS-VITAS": "SOP-003-B06"}).for_service("ITAS-VITAS").id == "SOP-003-B06"


def test_a_variant_choice_for_the_wrong_service_is_refused() -> None:
    with pytest.raises(DefinitionError, match="does not serve"):
        Catalogue.load(choices={"SKIM": "SOP-000"})


def test_a_dangling_branch_is_refused_naming_the_step() -> None:
    bad = sop(step("1", decisions=[{"when": "problem", "to": "9"}]), step("2"))
    with pytest.raises(DefinitionError, match=r"SOP-T step 1: dangling branch to step '9'"):
        parse_sop(bad)


def test_a_missing_role_is_refused_naming_the_step() -> None:
    with pytest.raises(DefinitionError, match=r"SOP-T step 2: unknown role ''"):
        parse_sop(sop(step("1"), {"no": "2", "name": "x", "standard": "5 min"}))


def test_an_unknown_automatic_action_is_refused_naming_the_step() -> None:
    with pytest.raises(DefinitionError, match=r"SOP-T step 1: unknown automatic action 'teleport'"):
        parse_sop(sop(step("1", kind="auto", actions=["teleport"])))


def test_a_duplicate_step_number_is_refused() -> None:
    with pytest.raises(DefinitionError, match=r"SOP-T step 1: duplicate step number"):
        parse_sop(sop(step("1"), step("1")))


def test_an_unreachable_step_is_refused_naming_it() -> None:
    with pytest.raises(DefinitionError, match=r"SOP-T step 2: unreachable"):
        parse_sop(sop(step("1", next="end:approved"), step("2")))


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(DefinitionError, match=r"SOP-T step 1: branch 'end:maybe'"):
        parse_sop(sop(step("1", next="end:maybe")))


def test_a_link_to_an_undefined_sop_is_refused_when_the_catalogue_is_built(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(
        'id = "SOP-T"\ntitle_id = "a"\ntitle_en = "b"\nservice_code = "T"\n'
        '[[steps]]\nno = 1\nname = "x"\nrole = "counter"\nstandard = "5 min"\n'
        '[[steps.decisions]]\nwhen = "hit"\nto = "sop:SOP-NOPE"\n'
    )
    with pytest.raises(DefinitionError, match=r"SOP-T step 1: linked SOP 'SOP-NOPE' is not defined"):
        Catalogue.load(tmp_path)


def test_relatif_and_kondisional_steps_have_no_timer() -> None:
    assert parse_standard("relatif") is None
    assert parse_standard("kondisional") is None


def test_a_range_allows_its_upper_bound() -> None:
    assert parse_standard("1-5 min") == 300


@settings(max_examples=50)
@given(st.integers(1, 999), st.sampled_from([("s", 1), ("min", 60), ("h", 3600), ("d", 86400)]))
def test_fixed_standards_convert_to_seconds(amount: int, unit: tuple[str, int]) -> None:
    assert parse_standard(f"{amount} {unit[0]}") == amount * unit[1]


@settings(max_examples=50)
@given(st.text(max_size=12))
def test_standards_either_parse_or_say_what_to_write(text: str) -> None:
    try:
        seconds = parse_standard(text)
    except ValueError as exc:
        assert "time standard" in str(exc)
    else:
        assert seconds is None or seconds >= 0
