"""The record's shared blocks as types (schema reportgen/1): what each key holds.

Each TypedDict is total where a key is always written and marks with NotRequired the keys
that only some records have. The JSON is these dicts as they are: a new key goes here first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypeAlias, TypedDict

Pair: TypeAlias = list[float]  # a 95% interval [low, high]
Cell: TypeAlias = str | int | float | bool | None  # a metadata cell shown beside a row
# Any JSON, for what has no fixed shape: the options as the user gave them (each kind names its
# own), a record read back from a file of unknown age. Everything else has a TypedDict below.
JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
JSONObject: TypeAlias = dict[str, JSONValue]


class InputFile(TypedDict):
    """The prediction file: where it was, its hash, and how many rows it gave."""

    path: str | None
    format: str | None
    size: int | None
    sha256: str | None
    rows: int
    rows_read: int
    rows_dropped: int


class InputBlock(InputFile):
    """One compared file's identity, as provenance.inputs lists it (with its role and name)."""

    role: str
    name: str
    columns: Mapping[str, object]


class OtherInput(TypedDict):
    """Another file that changed the numbers (a tag sheet, a playbook)."""

    role: str
    path: str
    size: int
    sha256: str


class ConfigSource(TypedDict):
    """The config file the options came from."""

    path: str
    table: str | None
    size: int
    sha256: str


class EvaluationFacts(TypedDict):
    """Which rows the report describes, and why."""

    column: str | None
    rule: str
    requested: str | None
    splits: list[str]
    rows: int
    rows_total: int
    counts: dict[str, int]
    empty_split_cells: int
    split_columns: NotRequired[list[str | None]]


class EvaluationBlock(EvaluationFacts):
    """Which rows the report describes, with its words for the header."""

    text: str
    note: str


class ColumnsBlock(TypedDict):
    """The input columns by role (None: not in the file)."""

    y_true: str
    y_pred: str
    id: str | None
    sample: str | None
    buckets: str | None
    split: str | None
    proba_prefix: str | None
    proba: dict[str, str]  # class label -> probability column
    columns: list[str]  # shown beside each sample row
    slices: list[str]


class Provenance(TypedDict):
    """What a report was built from, so that it can be checked and rebuilt."""

    generator: str
    libraries: dict[str, str]
    input: InputFile
    created: str | None
    options: JSONObject  # the options as given: each kind names its own
    columns: ColumnsBlock
    config: ConfigSource | None
    inputs: NotRequired[list[InputBlock]]  # a comparison: both files, baseline first
    other_inputs: NotRequired[list[OtherInput]]
    evaluation: NotRequired[EvaluationBlock]
    page_sha256: NotRequired[str]  # added when the page is sealed
    fingerprint: NotRequired[str]


class HeadlineCard(TypedDict):
    """One number a reviewer quotes, with a one-line meaning."""

    id: str
    label: str
    value: str
    detail: str


class Summary(TypedDict):
    """The headline cards and the findings, most important first."""

    headline: list[HeadlineCard]
    findings: list[str]


class ImageBlock(TypedDict):
    """A row's image: shown as a thumbnail, or why not."""

    source: str
    shown: bool
    reason: str | None


class SampleRowBlock(TypedDict):
    """One shown row."""

    row: int
    id: str | None
    true: str | float
    pred: str | float
    confidence: float | None
    sample: str | None
    sample_truncated: bool
    extra: dict[str, Cell]
    residual: float | None
    tags: NotRequired[list[str]]  # with a tag sheet or bucket column
    image: NotRequired[ImageBlock | None]  # with --image-root and a sample column


class SampleTableBlock(TypedDict):
    """A bounded, seeded table of rows and the total it was drawn from."""

    total: int
    shown: int
    seed: int
    sample_column: str | None
    columns: list[str]
    rows: list[SampleRowBlock]


class PageThumbnail(TypedDict):
    """A thumbnail the page embeds (kept out of the record)."""

    data_uri: str
    width: int
    height: int


class ImagesBlock(TypedDict):
    """How many thumbnails were shown, refused by reason, and the bytes spent."""

    shown: int
    refused: dict[str, int]
    total_bytes: int
    budget_bytes: int


class IntervalBlock(TypedDict):
    """A 95% interval in data units and how it was computed."""

    low: float
    high: float
    method: str


class StreamBlock(TypedDict):
    """How a streamed read went: batches, the analysis sample, what came from it."""

    engine: str
    batch_rows: int
    sample_rows: int | None
    rows_in_sample: int
    sampled: bool
    from_sample: list[str]


class GateItem(TypedDict):
    """One gate: its metric, threshold, value and verdict."""

    gate: str
    kind: str
    metric: str
    label: str | None
    threshold: float
    value: float | None
    baseline: float | None
    passed: bool
    reason: str | None


class GateBaseline(TypedDict):
    """The record --max-drop compared with."""

    path: str | None
    fingerprint: str
    model: str | None
    created: str | None
    sha256: NotRequired[str]  # when it was read from a file


class GatesBlock(TypedDict):
    """The CI gates and whether they all passed."""

    passed: bool
    baseline: GateBaseline | None
    items: list[GateItem]


class BudgetBlock(TypedDict):
    """The page's size budget and what was cut to meet it."""

    max_bytes: int
    cuts: list[str]
    over: str | None


class RecordBase(TypedDict):
    """What every record has, whatever its kind: the code shared by kinds takes this."""

    schema: str
    task: str
    title: str
    model: str | None
    provenance: Provenance
    summary: Summary
    sections: NotRequired[list[str]]
    stream: NotRequired[StreamBlock]
    gates: NotRequired[GatesBlock]
    budget: NotRequired[BudgetBlock]
