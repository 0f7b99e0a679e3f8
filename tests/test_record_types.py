"""The record's types say what the JSON holds: every gold record matches them, key by key."""

from __future__ import annotations

import copy
import json
import types
import typing
from typing import Any, NotRequired, is_typeddict

import pytest

from reportgen.record.classification_types import ClassificationRecord
from reportgen.record.regression_types import RegressionRecord
from reportgen.record.types import JSONValue
from tests.conftest import ROOT

GOLD = ROOT / "tests" / "gold"
KINDS: dict[str, Any] = {"classification": ClassificationRecord, "regression": RegressionRecord}


def problems(value: Any, hint: Any, path: str = "$") -> list[str]:
    """Where a JSON value does not match a type: missing or unknown keys, wrong kinds."""
    if getattr(hint, "__forward_arg__", hint) == "JSONValue":  # the alias names itself as text
        hint = JSONValue
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return []
    if origin in (typing.Union, types.UnionType):
        found = [problems(value, member, path) for member in args]
        return [] if any(not p for p in found) else min(found, key=len)
    if hint is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if hint in (str, int, bool):
        ok = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
        return [] if ok else [f"{path}: {value!r} is not {hint.__name__}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for i, item in enumerate(value) for p in problems(item, args[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        return [p for k, item in value.items() for p in problems(item, args[1], f"{path}.{k}")]
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{path}: not an object ({hint.__name__})"]
        # with postponed annotations, __required_keys__ does not see NotRequired: read it here
        fields = typing.get_type_hints(hint, include_extras=True)
        optional = {k for k, t in fields.items() if typing.get_origin(t) is NotRequired}
        fields = {k: typing.get_args(t)[0] if k in optional else t for k, t in fields.items()}
        out = [
            f"{path}: no key '{k}' ({hint.__name__})" for k in set(fields) - optional - set(value)
        ]
        out += [f"{path}: key '{k}' not in {hint.__name__}" for k in set(value) - set(fields)]
        for key in set(value) & set(fields):
            out += problems(value[key], fields[key], f"{path}.{key}")
        return out
    raise AssertionError(f"{path}: no check for {hint}")


def _gold(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    # the gold files keep neither the library versions nor the bytes thumbnails took
    record["provenance"]["libraries"] = {"python": "…"}
    if "images" in record:
        record["images"]["total_bytes"] = 0
    return record


@pytest.mark.parametrize("name", ["cancer", "diabetes", "digits", "digits-training", "inspection"])
def test_every_gold_record_matches_its_type(name: str) -> None:
    record = _gold(name)
    assert problems(record, KINDS[record["task"]]) == []


def test_the_check_finds_a_missing_an_unknown_and_a_wrong_key() -> None:
    record = copy.deepcopy(_gold("digits"))
    del record["classification"]["per_class"][0]["recall"]
    record["buckets"]["surprise"] = 1
    record["samples"]["misclassified"]["total"] = "many"
    assert sorted(problems(record, ClassificationRecord)) == [
        "$.buckets: key 'surprise' not in BucketsBlock",
        "$.classification.per_class[0]: no key 'recall' (ClassRow)",
        "$.samples.misclassified.total: 'many' is not int",
    ]


def test_options_as_given_are_any_json_and_nothing_else() -> None:
    record = copy.deepcopy(_gold("digits"))
    record["provenance"]["options"]["nested"] = {"lists": [1, [2.5, "x"], None, {"b": True}]}
    assert problems(record, ClassificationRecord) == []
    record["provenance"]["options"]["nested"]["lists"].append({1, 2})
    assert len(problems(record, ClassificationRecord)) == 1
