"""Tags: splitting cells, normalising names, and reading tag sheets as spreadsheets save them."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import ReportgenError
from reportgen.read.tags import (
    DEFAULT_SEPARATORS,
    Sampling,
    TagSheet,
    escape_cell,
    normalize_tag,
    read_tag_sheet,
    split_tags,
    unescape_cell,
)

BOM = codecs.BOM_UTF8

# ---------------------------------------------------------------- split_tags


@pytest.mark.parametrize("separator", list(DEFAULT_SEPARATORS))
def test_each_default_separator_splits(separator: str) -> None:
    assert split_tags(f"blur{separator}dark") == ["blur", "dark"]


def test_mixed_separators_and_surrounding_spaces() -> None:
    assert split_tags(" blur ;dark| rare class , label noise ") == [
        "blur",
        "dark",
        "rare class",
        "label noise",
    ]


def test_empty_parts_are_dropped() -> None:
    assert split_tags(";;blur;; ;|,dark,") == ["blur", "dark"]


def test_custom_separators_replace_the_defaults() -> None:
    assert split_tags("blur/dark;tiny", "/") == ["blur", "dark;tiny"]
    assert split_tags("a.b]c", ".]") == ["a", "b", "c"]  # regex characters are literal


def test_no_separators_keeps_the_cell_whole() -> None:
    assert split_tags(" blur; dark ", "") == ["blur; dark"]


def test_repeats_by_normalised_key_keep_the_first_spelling() -> None:
    assert split_tags("Edge_defect; edge defect;EDGE-DEFECT;blur;Blur ") == ["Edge_defect", "blur"]


def test_spelling_is_kept_as_written() -> None:
    assert split_tags("Edge_Defect") == ["Edge_Defect"]


@pytest.mark.parametrize("cell", [None, float("nan"), np.nan, np.float32("nan"), pd.NA, "", "  "])
def test_missing_cells_have_no_tags(cell: object) -> None:
    assert split_tags(cell) == []


def test_numbers_are_tags_as_text() -> None:
    assert split_tags(3.0) == ["3"]
    assert split_tags(7) == ["7"]
    assert split_tags(0.5) == ["0.5"]


def test_pandas_cells() -> None:
    cells = pd.Series(["a;b", None, "c"], dtype="str")
    assert [split_tags(c) for c in cells] == [["a", "b"], [], ["c"]]


# ---------------------------------------------------------------- normalize_tag


@pytest.mark.parametrize(
    "written",
    [
        "edge defect",
        "Edge_defect",
        " EDGE-DEFECT ",
        "edge  \t defect",
        "edge\u00a0defect",
        "edge__defect",
    ],
)
def test_spellings_of_one_bucket_share_a_key(written: str) -> None:
    assert normalize_tag(written) == "edge defect"


def test_compatibility_forms_are_folded() -> None:
    assert normalize_tag("ＢＬＵＲ") == "blur"  # full-width, as some input methods type it
    assert normalize_tag("Straße") == normalize_tag("STRASSE")


def test_different_words_stay_different() -> None:
    assert normalize_tag("edge defect") != normalize_tag("edgedefect")


def test_a_dash_alone_is_no_tag() -> None:
    assert normalize_tag("-") == ""
    assert split_tags("-; blur") == ["blur"]


# ---------------------------------------------------------------- formula guard


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-x", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_guarded_and_restored(text: str) -> None:
    guarded = escape_cell(text)
    assert guarded == "'" + text
    assert unescape_cell(guarded) == text


@pytest.mark.parametrize("text", ["-1", "+2.5", "-0.25e3", "blur", "", "'quoted"])
def test_plain_cells_are_not_guarded(text: str) -> None:
    assert escape_cell(text) == text


def test_an_apostrophe_before_ordinary_text_is_kept() -> None:
    assert unescape_cell("'tis") == "'tis"
    assert unescape_cell("'") == "'"


# ---------------------------------------------------------------- reading sheets


def _write(tmp_path: Path, data: bytes | str, name: str = "tags.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name files as given: relative names


def test_excel_european_csv_bom_semicolons_crlf_quotes(tmp_path: Path) -> None:
    data = b'id;buckets;notes\r\n007;"blur, dark";"see; also"\r\n7;Rare class|label noise;\r\n'
    _write(tmp_path, BOM + data)
    sheet = read_tag_sheet("tags.csv")
    assert sheet.ids == ["007", "7"]  # text, exactly: '007' is not 7
    assert sheet.tags == [["blur", "dark"], ["Rare class", "label noise"]]
    assert sheet.row_numbers == [1, 2]
    assert sheet.id_column == "id" and sheet.buckets_column == "buckets"
    assert sheet.sampling is None
    assert sheet.path == "tags.csv"


def test_comma_csv_without_bom_and_lf(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, 'image_id,tags\na1,"blur;dark"\na2,\n'))
    assert sheet.ids == ["a1", "a2"]
    assert sheet.tags == [["blur", "dark"], []]  # an untagged row is kept, with no tags


def test_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path, "uid\tbucket\nx\tblur, tiny\ny\t\n", name="tags.tsv")
    sheet = read_tag_sheet(path)
    assert sheet.ids == ["x", "y"]
    assert sheet.tags == [["blur", "tiny"], []]


def test_tab_separated_even_when_named_csv(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "id\tbuckets\n1\ta;b\n"))
    assert sheet.tags == [["a", "b"]]


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    data = "id\tbuckets\r\nx\tcafé crème\r\n".encode("utf-16")  # BOM first
    sheet = read_tag_sheet(_write(tmp_path, data, name="tags.txt"))
    assert sheet.ids == ["x"] and sheet.tags == [["café crème"]]


def test_delimiter_is_chosen_by_the_header_not_by_counting(tmp_path: Path) -> None:
    # the header has one ';' but the needed columns only appear when split on ','
    sheet = read_tag_sheet(_write(tmp_path, "id,buckets,note; remark\n1,a;b,x\n"))
    assert sheet.ids == ["1"] and sheet.tags == [["a", "b"]]


def test_quoted_cell_spanning_lines(tmp_path: Path) -> None:
    data = 'id,notes,buckets\r\n1,"two\r\nlines",blur\r\n2,,dark\r\n'
    sheet = read_tag_sheet(_write(tmp_path, data))
    assert sheet.ids == ["1", "2"]
    assert sheet.tags == [["blur"], ["dark"]]
    assert sheet.row_numbers == [1, 2]  # records, as a spreadsheet numbers its rows


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    data = "id;buckets;notes\n1;a;\n;;\n\n2;b;\n;;\n"
    sheet = read_tag_sheet(_write(tmp_path, data))
    assert sheet.ids == ["1", "2"]
    assert sheet.row_numbers == [1, 4]


def test_short_rows_have_no_tags(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "id,notes,buckets\n1\n2,x,blur\n"))
    assert sheet.tags == [[], ["blur"]]


def test_explicit_column_names(tmp_path: Path) -> None:
    data = "name,cause,id,buckets\nimg1,blur,x,ignored\n"
    sheet = read_tag_sheet(_write(tmp_path, data), id_column="name", buckets_column="cause")
    assert sheet.ids == ["img1"] and sheet.tags == [["blur"]]
    assert sheet.id_column == "name" and sheet.buckets_column == "cause"


def test_id_fallback_is_used_only_without_an_id_alias(tmp_path: Path) -> None:
    _write(tmp_path, "image_name;buckets\nimg1;blur, dark\n")
    sheet = read_tag_sheet("tags.csv", id_fallback="image_name")
    assert sheet.id_column == "image_name" and sheet.tags == [["blur", "dark"]]
    _write(tmp_path, "image_name;id;buckets\nimg1;x;blur\n")
    assert read_tag_sheet("tags.csv", id_fallback="image_name").id_column == "id"
    _write(tmp_path, "name;buckets\nimg1;blur\n")
    assert "id, sample_id, image_id, uid, image_name (or row" in _refused(
        "tags.csv", id_fallback="image_name"
    )


def test_alias_names_ignore_case_and_spaces(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, " ID ,Buckets\n1,a\n"))
    assert sheet.ids == ["1"] and sheet.id_column == " ID "


def test_custom_separators(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, 'id,buckets\n1,"a, b/c"\n'), separators="/")
    assert sheet.tags == [["a, b", "c"]]


def test_guarding_apostrophes_are_removed(tmp_path: Path) -> None:
    data = "id,buckets\n'=HYPERLINK(1),'-blur\n'@x,'plain\n"
    sheet = read_tag_sheet(_write(tmp_path, data))
    assert sheet.ids == ["=HYPERLINK(1)", "@x"]
    assert sheet.tags == [["-blur"], ["'plain"]]


def test_row_column_when_the_predictions_had_no_ids(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "row,true,predicted,buckets\n12,a,b,blur\n"))
    assert sheet.id_column == "row" and sheet.ids == ["12"]


def test_an_id_column_wins_over_row(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "row,id,buckets\n12,x,blur\n"))
    assert sheet.id_column == "id" and sheet.ids == ["x"]


def test_repeated_id_with_the_same_tags_is_one_row(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "id,buckets\n1,a;B\n2,c\n1,b_; a\n"))
    assert sheet.ids == ["1", "2"]
    assert sheet.tags == [["a", "B"], ["c"]]


def test_sheet_is_a_frozen_dataclass(tmp_path: Path) -> None:
    sheet = read_tag_sheet(_write(tmp_path, "id,buckets\n1,a\n"))
    assert isinstance(sheet, TagSheet)
    with pytest.raises(AttributeError):
        sheet.path = "other"  # type: ignore[misc]


# ---------------------------------------------------------------- the sampling marker


@pytest.mark.parametrize("split", [None, "test", "hold out, v2"])
@pytest.mark.parametrize("stratified", [True, False])
def test_marker_round_trip(split: str | None, stratified: bool) -> None:
    sampling = Sampling(seed=3, n=100, total_errors=1234, split=split, stratified=stratified)
    assert Sampling.from_marker(sampling.marker()) == sampling


def test_marker_text() -> None:
    marker = Sampling(seed=0, n=100, total_errors=1234).marker()
    assert marker == "random n=100 of 1234 errors seed=0 stratified by confusion pair"


@pytest.mark.parametrize("text", ["", "hand-picked", "random n=10 of x errors seed=0"])
def test_other_text_is_no_marker(text: str) -> None:
    assert Sampling.from_marker(text) is None


def _sheet_with_markers(tmp_path: Path, markers: list[str]) -> TagSheet:
    lines = ["id,buckets,review_sample"]
    lines += [f'{i},blur,"{m}"' for i, m in enumerate(markers)]
    return read_tag_sheet(_write(tmp_path, "\r\n".join(lines) + "\r\n"))


def test_sampling_is_read_when_every_row_agrees(tmp_path: Path) -> None:
    marker = "random n=3 of 40 errors seed=7 stratified by confusion pair split=test"
    sheet = _sheet_with_markers(tmp_path, [marker] * 3)
    assert sheet.sampling == Sampling(seed=7, n=3, total_errors=40, split="test")


def test_sampling_is_none_when_rows_disagree(tmp_path: Path) -> None:
    marker = "random n=3 of 40 errors seed=7"
    assert _sheet_with_markers(tmp_path, [marker, marker, ""]).sampling is None
    other = "random n=3 of 40 errors seed=8"
    assert _sheet_with_markers(tmp_path, [marker, other, marker]).sampling is None


def test_sampling_is_none_when_rows_were_added(tmp_path: Path) -> None:
    marker = "random n=2 of 40 errors seed=7"
    two = Sampling(seed=7, n=2, total_errors=40, stratified=False)
    assert _sheet_with_markers(tmp_path, [marker] * 2).sampling == two
    assert _sheet_with_markers(tmp_path, [marker] * 3).sampling is None


def test_sampling_is_none_without_the_column(tmp_path: Path) -> None:
    assert read_tag_sheet(_write(tmp_path, "id,buckets\n1,a\n")).sampling is None


# ---------------------------------------------------------------- bad sheets


def _refused(path: Path | str, **kwargs: str) -> str:
    with pytest.raises(ReportgenError) as info:
        read_tag_sheet(path, **kwargs)
    message = info.value.message
    assert message.startswith(f"{path}: "), message  # names the file first
    assert info.value.exit_code == 2
    return message


def test_missing_sheet() -> None:
    assert "no such file" in _refused("nope.csv")


def test_folder_instead_of_sheet(tmp_path: Path) -> None:
    (tmp_path / "tags.csv").mkdir()
    assert "folder" in _refused("tags.csv")


@pytest.mark.parametrize("data", [b"", BOM, b" \r\n\r\n"])
def test_empty_sheet(tmp_path: Path, data: bytes) -> None:
    _write(tmp_path, data)
    assert "empty" in _refused("tags.csv")


def test_header_without_rows(tmp_path: Path) -> None:
    _write(tmp_path, "id,buckets\r\n")
    assert "no rows" in _refused("tags.csv")


def test_rows_without_any_id(tmp_path: Path) -> None:
    _write(tmp_path, "id,buckets\n,\n,\n")
    assert "no row with an id" in _refused("tags.csv")


def test_no_id_column(tmp_path: Path) -> None:
    _write(tmp_path, "name;buckets\nx;blur\n")
    message = _refused("tags.csv")
    assert "no id column" in message
    assert "'name', 'buckets'" in message  # the columns it does have, split on ';'
    assert "sample_id" in message  # what it looked for


def test_no_tags_column(tmp_path: Path) -> None:
    _write(tmp_path, "id,cause\nx,blur\n")
    message = _refused("tags.csv")
    assert "no tags column" in message and "'id', 'cause'" in message and "buckets" in message


@pytest.mark.parametrize(
    ("kwargs", "missing"), [({"id_column": "name"}, "'name'"), ({"buckets_column": "why"}, "'why'")]
)
def test_named_column_that_does_not_exist(
    tmp_path: Path, kwargs: dict[str, str], missing: str
) -> None:
    _write(tmp_path, "id,buckets\nx,blur\n")
    message = _refused("tags.csv", **kwargs)
    assert f"no column {missing}" in message and "'id', 'buckets'" in message


def test_one_column_for_ids_and_tags(tmp_path: Path) -> None:
    _write(tmp_path, "id,buckets\nx,blur\n")
    message = _refused("tags.csv", buckets_column="id")
    assert "'id'" in message and "both" in message


def test_two_id_columns(tmp_path: Path) -> None:
    _write(tmp_path, "id,uid,buckets\nx,y,blur\n")
    message = _refused("tags.csv")
    assert "'id' and 'uid'" in message


def test_the_tags_column_twice(tmp_path: Path) -> None:
    _write(tmp_path, "id,buckets,buckets\nx,blur,dark\n")
    assert "'buckets' twice" in _refused("tags.csv")


def test_same_id_with_different_tags(tmp_path: Path) -> None:
    # y repeats with the same tags (fine); x repeats twice with others
    _write(tmp_path, "id;buckets\nx;blur\ny;dark\nx;dark\nz;a\ny;Dark\nx;\n")
    message = _refused("tags.csv")
    assert "1 id is listed more than once" in message
    assert "column 'id'" in message and "column 'buckets'" in message
    assert "'x' (rows 1, 3, 6)" in message
    assert "'y'" not in message


def test_several_ids_with_different_tags(tmp_path: Path) -> None:
    _write(tmp_path, "id;buckets\nx;blur\ny;dark\nx;dark\ny;blur\n")
    message = _refused("tags.csv")
    assert "2 ids are listed more than once" in message
    assert "'x' (rows 1, 3); 'y' (rows 2, 4)" in message


def test_tags_without_an_id(tmp_path: Path) -> None:
    _write(tmp_path, "id,buckets\nx,blur\n,dark\n y ,a\n  ,b\n")
    message = _refused("tags.csv")
    assert "2 rows have tags in column 'buckets' but no id in column 'id' (rows 2, 4)" in message


def test_not_utf8(tmp_path: Path) -> None:
    _write(tmp_path, "id;buckets\nx;flou\ny;détail\n".encode("cp1252"))
    message = _refused("tags.csv")
    assert "UTF-8" in message and "line 3" in message and "0xe9" in message


@pytest.mark.parametrize(
    ("magic", "kind"), [(b"PK\x03\x04", ".xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls")]
)
def test_a_workbook_instead_of_csv(tmp_path: Path, magic: bytes, kind: str) -> None:
    _write(tmp_path, magic + b"\x00" * 40, name=f"tags{kind}")
    message = _refused(f"tags{kind}")
    assert kind in message and "CSV UTF-8" in message


@pytest.mark.parametrize(
    ("data", "line"), [('id,buckets\n1,"blur\n2,dark\n', 3), ('id,buckets\n1,"a"b\n2,c\n', 2)]
)
def test_broken_quotes(tmp_path: Path, data: str, line: int) -> None:
    _write(tmp_path, data)
    message = _refused("tags.csv")
    assert "could not be read as CSV" in message and f"line {line}:" in message
