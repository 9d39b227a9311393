"""The rules file: the built-in one loads, and a broken one is refused naming the key at fault."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tocsin.analysis.siege import (
    MEMORY_STAGES,
    SIGNAL_KINDS,
    SIGNAL_STAGES,
    STAGES,
    SiegeRulesError,
    default_rules,
    load_rules,
    parse_rules,
)


def builtin() -> dict:
    return copy.deepcopy(default_rules().raw)


def test_builtin_rules_have_every_stage_in_order() -> None:
    rules = default_rules()
    assert [s.name for s in rules.stages] == list(SIGNAL_STAGES)
    assert [s.rank for s in rules.stages] == [STAGES.index(s) for s in SIGNAL_STAGES]
    assert set(STAGES) == {"calm", *SIGNAL_STAGES, *MEMORY_STAGES}
    assert rules.lookback_days() > max(s.window_days for s in rules.signals)
    assert len({s.name for s in rules.signals}) == len(rules.signals)  # names are unique


def test_a_rules_file_round_trips(tmp_path: Path) -> None:
    data = builtin()
    data["ring_km"] = 25
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_rules(path).ring_km == 25.0


BROKEN = [
    (lambda d: d.pop("ring_km"), "missing key 'ring_km'"),
    (lambda d: d["stages"].pop("cut_off"), "stage 'cut_off' is missing"),
    (lambda d: d["stages"].update(besieged={}), "unknown stage"),
    (lambda d: d["stages"]["threatened"].update(rank=3), "stages.threatened: rank must be 1"),
    (lambda d: d["stages"]["overrun"]["signals"]["control_taken"].update(kind="rumour"),
     "stages.overrun.signals.control_taken: unknown kind 'rumour'"),
    (lambda d: d["stages"]["threatened"]["signals"]["armed_activity_nearby"].update(window_days=0),
     "window_days must be 1 or more"),
    (lambda d: d["stages"]["threatened"]["signals"]["armed_activity_nearby"].update(min_events="two"),
     "'min_events' must be"),
    (lambda d: d["stages"]["cut_off"].update(requires={"stage": "overrun", "within_days": 3}),
     "must be a lower stage"),
    (lambda d: d["stages"]["encircled"].update(signals={}), "stages.encircled: no signals"),
    (lambda d: d["stages"]["encircled"]["signals"].update(
        burning={"kind": "burnings", "window_days": 3}), "already used in stages.encircled"),
    (lambda d: d["stages"]["threatened"]["signals"]["armed_activity_nearby"].update(window_days="3"),
     "'window_days' must be a whole number, found '3'"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_broken_rules_are_refused_naming_the_key(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = builtin()
    change(data)
    with pytest.raises(SiegeRulesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(data, "test.yaml")


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_broken_rules_are_told_in_arabic(change, message: str) -> None:  # type: ignore[no-untyped-def]
    """An analyst working in Arabic reads what is wrong with her rules file in Arabic: only the
    file's own names (keys, stages, kinds) stay Latin."""
    import re

    from tocsin.i18n import ARABIC_LETTER, Catalogue, said_of, told

    data = builtin()
    change(data)
    with pytest.raises(SiegeRulesError) as raised:
        parse_rules(data, "test.yaml")
    arabic = told(said_of(raised.value), Catalogue("cli", "ar"))
    assert ARABIC_LETTER.search(arabic), arabic
    assert not re.search(r"\b(must|missing|unknown|already|found|stage|signals|no)\b",
                         re.sub(r"stages\.[a-z_.]+|'[^']*'|\[[^]]*\]", "", arabic)), arabic


def test_unreadable_rules_files(tmp_path: Path) -> None:
    with pytest.raises(SiegeRulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [unclosed", encoding="utf-8")
    with pytest.raises(SiegeRulesError, match="not valid YAML"):
        load_rules(bad)


@pytest.mark.parametrize(("key", "value"), [("min_fatalites", 10), ("window", 3), ("sector", 4)])
def test_an_unknown_or_misspelled_key_is_refused_by_name(key: str, value: object) -> None:
    data = builtin()
    data["stages"]["under_assault"]["signals"]["fighting_inside"][key] = value
    with pytest.raises(SiegeRulesError, match=f"unknown key '{key}'"):
        parse_rules(data)


def test_a_parameter_of_the_wrong_type_or_choice_is_refused() -> None:
    data = builtin()
    data["stages"]["cut_off"]["signals"]["displacement_outflow"]["direction"] = "sideways"
    with pytest.raises(SiegeRulesError, match="direction"):
        parse_rules(data)
    data = builtin()
    data["stages"]["threatened"]["signals"]["armed_activity_nearby"]["include_inside"] = "yes"
    with pytest.raises(SiegeRulesError, match="include_inside"):
        parse_rules(data)
    data = builtin()
    data["memory"]["outcome_unrecorded_dayz"] = 5
    with pytest.raises(SiegeRulesError, match="outcome_unrecorded_dayz"):
        parse_rules(data)


def test_the_method_lists_every_signal_kind_and_stage() -> None:
    method = (Path(__file__).resolve().parents[2] / "docs" / "methods" / "siege.md").read_text("utf-8")
    for kind, params in SIGNAL_KINDS.items():
        assert f"`{kind}`" in method, kind
        for param in params:
            assert f"`{param}`" in method, (kind, param)
    for stage in STAGES:
        assert f"`{stage}`" in method, stage


def test_the_records_stage_list_is_the_trackers() -> None:
    from tocsin.records.models import SIEGE_STAGES

    assert STAGES[1:] == SIEGE_STAGES
