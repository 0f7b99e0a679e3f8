"""What every kind of record shares: its names and provenance, and the blocks added last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from reportgen import __version__
from reportgen.analysis.evaluation import Evaluation
from reportgen.deliver.archive import library_versions
from reportgen.read.table import PredictionTable
from reportgen.record.blocks import evaluation_block
from reportgen.record.types import (
    ConfigSource,
    GatesBlock,
    JSONObject,
    OtherInput,
    Provenance,
    RecordBase,
    StreamBlock,
)

R = TypeVar("R", bound=RecordBase)


@dataclass(frozen=True)
class Meta:
    """What names and dates a report, whatever its kind."""

    title: str
    model: str | None
    created: str | None
    options: JSONObject  # the options as given, each kind naming its own


@dataclass(frozen=True)
class Context:
    """What a record keeps beside its analysis: the rows chosen, the read, the other inputs.

    `gates` checks the finished record (None: no gates asked for).
    """

    evaluation: Evaluation
    stream: StreamBlock | None = None
    other_inputs: list[OtherInput] = field(default_factory=list)
    config: ConfigSource | None = None
    gates: Callable[[RecordBase], GatesBlock] | None = None


def file_provenance(table: PredictionTable, meta: Meta, *, rows: int) -> Provenance:
    """What every record's provenance starts with: the file, the options, the columns."""
    source = table.source
    return {
        "generator": f"reportgen {__version__}",
        "libraries": library_versions(),
        "input": {
            "path": source.path,
            "format": source.format,
            "size": source.size,
            "sha256": source.sha256,
            "rows": rows,
            "rows_read": table.rows_read,
            "rows_dropped": table.rows_dropped,
        },
        "created": meta.created,
        "options": meta.options,
        "columns": table.columns.as_record(),
        "config": None,
    }


def provenance(table: PredictionTable, meta: Meta, context: Context, *, rows: int) -> Provenance:
    """Say what the report was built from: the file (`rows` of it described), options, inputs."""
    return {
        **file_provenance(table, meta, rows=rows),
        "config": context.config,
        "other_inputs": context.other_inputs,
        "evaluation": evaluation_block(context.evaluation),
    }


def finish(record: R, context: Context) -> R:
    """Return the record with the read's stream block and, checked on it, the gates."""
    if context.stream is not None:
        record = cast(R, {**record, "stream": context.stream})
    if context.gates is not None:
        record = cast(R, {**record, "gates": context.gates(record)})
    return record
