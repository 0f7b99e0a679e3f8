"""The page's number style: digits per kind of quantity, and intervals that contain their point."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.words import numbers as n

MINUS = "\u2212"


def _value(text: str) -> float:
    """Read a formatted number back: '−1,234.5' -> -1234.5."""
    return float(text.replace(MINUS, "-").replace(",", "").rstrip("%").replace(" pt", ""))


def _ends(text: str) -> tuple[float, float]:
    """Read a formatted interval back: '90.4–95.1%' or '−5.0 to +5.2'."""
    low, high = re.split(r"–| to ", text.rstrip("%").replace(" pt", ""))
    return _value(low), _value(high)


def _decimals(text: str) -> int:
    body = text.rstrip("%").replace(" pt", "")
    return len(body.split(".")[1]) if "." in body else 0


# ---------------------------------------------------------------- rates


def test_rates_are_percentages_with_one_decimal() -> None:
    assert n.pct(0.9312) == "93.1%"
    assert n.pct(0.5) == "50.0%"
    assert n.pct(1.0) == "100.0%" and n.pct(0.0) == "0.0%"
    assert n.pct(None) == "–"
    assert n.interval_pct([0.904, 0.951]) == "90.4–95.1%"
    # callers that once asked for whole percentages get the page's one decimal
    assert n.pct(0.3333, 0) == "33.3%" and n.interval_pct([0.2, 0.45], 0) == "20.0–45.0%"


def test_a_rate_between_0_and_1_is_never_written_as_a_bound() -> None:
    assert n.pct(0.9996) == "99.96%"  # not 100.0%: one error in 2,500 is not none
    assert n.pct(0.0004) == "0.04%"
    assert n.pct(0.99996) == "99.996%"


def test_the_old_100_to_100_interval_shows_its_width_and_its_point() -> None:
    # recall 0.999 with a Wilson interval [0.995, 1.0]: once '0.999' beside '100–100%'
    point, ci = 0.999, [0.995, 1.0]
    assert n.pct(point, ci=ci) == "99.9%"
    assert n.interval_pct(ci, point=point) == "99.5–100.0%"
    # an interval too narrow for one decimal gets more, and so does its point
    point, ci = 0.99991, [0.99984, 0.99996]
    text, interval = n.pct(point, ci=ci), n.interval_pct(ci, point=point)
    assert text == "99.99%" and interval == "99.98–100.00%"
    assert _decimals(text) == _decimals(interval.split("–")[0])


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_a_rate_interval_contains_its_point_and_its_ends_differ(
    a: float, b: float, c: float
) -> None:
    low, point, high = sorted((a, b, c))
    text, interval = n.pct(point, ci=[low, high]), n.interval_pct([low, high], point=point)
    shown_low, shown_high = _ends(interval)
    assert shown_low <= _value(text) <= shown_high
    assert _decimals(text) == _decimals(interval.split("–")[0])  # one format for both
    if high - low >= 1e-6:  # three more decimals of a percentage tell these apart
        assert shown_low < shown_high


def test_changes_of_rates_are_signed_percentage_points() -> None:
    assert n.signed_points(0.083) == "+8.3 pt"
    assert n.signed_points(-0.0123) == f"{MINUS}1.2 pt"
    assert n.interval_points([-0.005, 0.041], point=0.018) == f"{MINUS}0.5 to +4.1 pt"
    assert n.points(0.018) == "1.8 pt"


# ---------------------------------------------------------------- scores


def test_scores_have_three_decimals() -> None:
    assert n.score(0.73214) == "0.732"
    assert n.score(0.5) == "0.500"
    assert n.score(1.0) == "1.000"
    assert n.score(0.9996) == "0.9996"  # an AUC short of 1 is not written as a perfect 1.000
    assert n.score(1.2345) == "1.234" or n.score(1.2345) == "1.235"  # log loss: no bound at 1
    assert n.score(-0.25) == f"{MINUS}0.250"  # R² can be negative
    assert n.signed_score(0.012) == "+0.012"
    assert n.signed_score(-0.0125) in (f"{MINUS}0.012", f"{MINUS}0.013")
    assert n.interval_score([-0.004, 0.027], point=0.012, signed=True) == f"{MINUS}0.004 to +0.027"


def test_a_score_interval_gets_the_digits_to_tell_its_ends_apart() -> None:
    point, ci = 0.01203, [0.01201, 0.01206]
    assert n.signed_score(point, ci=ci) == "+0.0120"
    assert n.interval_score(ci, point=point, signed=True) == "+0.0120 to +0.0121"


# ---------------------------------------------------------------- values in data units


DIABETES_LIKE = {"regression": {"intervals": {"mae": {"low": 41.53, "high": 47.45}}}}


def test_the_page_resolution_is_two_digits_of_the_headline_half_width() -> None:
    assert n.decimals_for_half_width(2.96) == 1  # 3.0
    assert n.decimals_for_half_width(0.0123) == 3  # 0.012
    assert n.decimals_for_half_width(29.6) == 0  # 30
    assert n.decimals_for_half_width(2345.0) == 0  # never rounded to tens
    assert n.decimals_for_half_width(0.0) is None
    assert n.unit_decimals(DIABETES_LIKE) == 1
    assert n.unit_decimals({"classification": {}}) is None


def test_values_in_data_units_follow_the_page() -> None:
    # the example: '+0.1045 (CI −4.995 to 5.204)' beside an MAE of 44.49 ± 3
    bias, ci = 0.1045, {"low": -4.995, "high": 5.204}
    with n.units_of(DIABETES_LIKE):
        assert n.num(44.49) == "44.5"
        assert n.signed(bias, ci=ci) == "+0.1"
        assert n.interval_num(ci, point=bias, signed=True) == f"{MINUS}5.0 to +5.2"
        assert n.num(302.0) == "302.0"
        assert n.num(123456.78) == "123,456.8"
        # a narrower interval than the page's gets the decimals it needs, with its point
        narrow = {"low": 0.012, "high": 0.043}
        assert n.interval_num(narrow, point=0.02) == "0.01 to 0.04"
        assert n.num(0.02, ci=narrow) == "0.02"
    # outside a page: an interval sets its own digits, a bare value four significant digits
    assert n.num(44.49) == "44.49"
    assert n.interval_num(ci, point=bias) == f"{MINUS}5.0 to 5.2"
    assert n.signed(bias, ci=ci) == "+0.1"


def test_plain_numbers_have_four_significant_digits_and_no_exponent() -> None:
    assert n.plain(43.27) == "43.27"
    assert n.plain(12345.6) == "12,346"  # not 1.235e+04
    assert n.plain(0.012345) in ("0.01234", "0.01235")
    assert n.plain(-2.5) == f"{MINUS}2.5"  # no trailing zeros: metadata as written
    assert n.plain(27.0) == "27"
    assert n.plain(0.0) == "0"


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0"), (3, "+3"), (-1204, f"{MINUS}1,204"), (1204, "+1,204")]
)
def test_counts_and_changes_of_counts(count: int, text: str) -> None:
    assert n.signed_count(count) == text
    assert n.count(abs(count)) == f"{abs(count):,}"


def test_a_last_bit_difference_never_changes_a_printed_digit() -> None:
    # the same mean from a streamed and an in-memory pass: 0.6375 and 0.6375000000000001
    assert n.score(0.6375) == n.score(0.6375000000000001)
    assert n.pct(0.12345) == n.pct(0.12345 + 2e-17)
    with n.units_of(DIABETES_LIKE):
        assert n.num(2.25) == n.num(2.2500000000000004)


def test_p_values() -> None:
    assert n.pvalue(0.0004) == "< 0.001"
    assert n.pvalue(0.0321) == "0.032"
    assert n.pvalue(1.0) == "1"
    assert n.pvalue(None) == "–"


def test_counts_on_figures_are_short_and_literal() -> None:
    assert [n.compact_count(v) for v in (987, 1949, 12_345, 3_400_000)] == [
        "987",
        "1.9k",
        "12k",
        "3.4M",
    ]
    assert [n.tick_count(v) for v in (1.0, 10.0, 1000.0, 2_500_000.0)] == ["1", "10", "1k", "2.5M"]


def test_a_change_that_rounds_to_zero_has_no_sign_but_an_interval_end_keeps_it() -> None:
    from reportgen.words.numbers import interval_points, signed, signed_points, signed_score

    assert signed_points(0.0) == "0.0 pt" and signed_points(-0.00001) == "0.0 pt"
    assert signed_points(0.0004) == "0.0 pt" and signed_points(0.0006) == "+0.1 pt"
    assert signed_score(-0.0001) == "0.000" and signed_score(-0.002) == "\u22120.002"
    assert signed(0.0, 1) == "0.0"
    # an interval's lower end just under zero still says so
    assert interval_points([-0.0001, 0.072]).startswith("\u22120.0")
