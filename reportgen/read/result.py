"""What a report asks of a read (ReadOptions) and what every reader returns (ReadResult).

In memory, streamed in batches and with Spark, a read ends in the same ReadResult: the rows
the report lays out, what was counted exactly over every row, the rows it describes (the
evaluation), the split check, the evolution over steps and, when streamed, what came from a
sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions
from reportgen.read.tags import DEFAULT_SEPARATORS
from reportgen.record.types import StreamBlock

if TYPE_CHECKING:
    from reportgen.analysis.evaluation import Evaluation
    from reportgen.analysis.evolution import EvolutionResult
    from reportgen.analysis.splits import SplitResult
    from reportgen.read.detection_result import DetectionRead
    from reportgen.read.exact import Exact
    from reportgen.read.table import PredictionTable

ENGINES = ("local", "spark")


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """How to read predictions for a report; `load` says how to find and check the columns.

    `steps` and `at_step` need a step column (`load.step`); `stream` None streams files larger
    than STREAM_ABOVE; `engine="spark"` always streams. `tags` is the tag sheet's path: its
    ids on rows outside the evaluated splits are counted apart, not as unknown ids.
    """

    load: LoadOptions = field(default_factory=LoadOptions)
    eval_split: str | None = None
    steps: tuple[str, ...] = ()
    at_step: str | None = None
    tags: str | None = None
    tag_separators: str = DEFAULT_SEPARATORS
    pos_label: str | None = None
    max_samples: int = 50  # rows shown per table: a streamed read keeps as many
    seed: int = 0
    stream: bool | None = None
    sample_rows: int | None = None  # the analysis sample of a streamed read (None: SAMPLE_ROWS)
    engine: str = "local"
    ground_truth: str | None = None  # detection: the ground-truth boxes (COCO, YOLO, VOC)
    classes: str | None = None  # detection: YOLO's class names, one per line
    image_root: str | None = None  # detection: YOLO reads image sizes from the pictures

    def __post_init__(self) -> None:
        """Refuse step options without a step column."""
        if self.load.step is None and (self.steps or self.at_step is not None):
            raise ReportgenError(
                f"{'--steps' if self.steps else '--at-step'} needs a step column; name it with "
                "--step COLUMN."
            )


@dataclass(frozen=True)
class ReadResult:
    """What a reader returns, in memory, streamed and Spark alike.

    `table` holds the evaluated rows: every one of them in memory; when streamed, the rows
    kept to show (the analysis sample is `exact.sample`). `exact` is what a streamed read
    counted over every row (None in memory, where the table is every row). `others` holds the
    rows of the other splits when a tag sheet may name them (in memory only: a streamed read
    counts those ids in `exact.tagged_outside`).
    """

    table: PredictionTable
    evaluation: Evaluation
    exact: Exact | None = None
    splits: SplitResult | None = None
    evolution: EvolutionResult | None = None
    stream: StreamBlock | None = None
    others: PredictionTable | None = None
    detection: DetectionRead | None = None  # a detection read: the boxes beside the images

    @property
    def sample(self) -> PredictionTable:
        """The rows quantile-based sections are computed from: every row unless streamed."""
        return self.table if self.exact is None else self.exact.sample

    @property
    def sampled(self) -> bool:
        """Whether some sections come from an analysis sample rather than every row."""
        return self.stream is not None and self.stream["sampled"]

    @property
    def from_sample(self) -> tuple[str, ...]:
        """The parts of the report computed from the analysis sample (none unless sampled)."""
        return () if self.stream is None else tuple(self.stream["from_sample"])
