"""Every option about what a command reads, declared once in groups that the commands stack.

One name per concept across build, compare and sample-errors, with one help text; an old
name stays as a hidden `Alias` that says it is old. The groups here: columns, evaluation
rows, shown samples, slices, tags, images, title and creation time; build's own (steps,
streaming, --oof) and detection's (--ground-truth, --classes, --conf) are in build_options.py;
what a command writes (outputs, gates, delivery, config) is declared in output_options.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from reportgen.errors import ReportgenError

FORMATS = ("csv", "tsv", "parquet", "jsonl")
F = TypeVar("F", bound=Callable[..., Any])

# options whose values are paths: a config file's are resolved against its folder
PATH_OPTIONS = frozenset(
    {
        "output",
        "json_path",
        "tags",
        "tags_a",
        "tags_b",
        "playbook",
        "image_root",
        "summary_md",
        "junit",
        "email",
        "pdf",
        "baseline",
        "ground_truth",
        "classes",
    }
)
# options a config cannot set: they are about the run, or live in [gates]
NOT_FROM_CONFIG = frozenset(
    {
        "config",
        "no_config",
        "help",
        "fail_under",
        "fail_over",
        "max_drop",
        "gate",
        "baseline",
        "send",
    }
)


def split_columns(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Accept comma-separated lists as well as repeated options."""
    names: list[str] = []
    for item in value:
        names.extend(part.strip() for part in item.split(",") if part.strip())
    return tuple(names)


def stack(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Apply several click options in the order they are listed (as --help shows them)."""

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


class FilePath(click.types.StringParamType):
    """A parameter that names a file (or the image folder): one the run reads, or one it writes.

    Every command checks all its FilePath parameters in one place before any work
    (`command.FilesCommand.invoke`): no output may be an input or another output.
    """

    def __init__(self, role: str, what: str = "") -> None:
        self.role = role  # "input", "output" or "folder" (an input folder: the image root)
        self.what = what  # for an input: what overwriting it would destroy


def input_file(what: str) -> FilePath:
    """The type of a parameter naming a file the run reads; what: what overwriting it loses."""
    return FilePath("input", what)


OUTPUT = FilePath("output")  # a file the run writes ('-' for standard output)
IMAGE_FOLDER = FilePath("folder", "the sample images")


class Alias(click.Option):
    """A hidden old name of an option: its value goes to the new name, with a note.

    `command.resolve_aliases` moves the value before the command runs, so the command
    function never sees the old name.
    """

    def __init__(self, decls: Sequence[str], *, new: str, what: str, **attrs: Any) -> None:
        super().__init__(decls, hidden=True, default=None, **attrs)
        self.new = new  # the parameter it stands for
        self.what = what  # what its values are, for the message when both are given


def _cell_limit(ctx: click.Context, value: str | None) -> None:
    """Set the cell limit for this command's readers, and restore it when the command ends."""
    if value is None:
        return
    from reportgen.deliver.budget import parse_size
    from reportgen.read.textin import cell_limit

    try:
        limit = parse_size(value, where=f"--max-cell-bytes {value}")
    except ReportgenError:
        limit = -1
    if limit < 1024:
        raise click.BadParameter(
            f"{value!s} is not a size of at least 1KiB; give bytes or a unit, e.g. 16MiB or 4MB."
        )
    ctx.with_resource(cell_limit(limit))


column_options = stack(
    click.option(
        "--format",
        type=click.Choice(FORMATS),
        default=None,
        help="Input format (default: from the file name).",
    ),
    click.option(
        "--y-true",
        default=None,
        help="True-label column (default: y_true, label, target, actual, truth, ground_truth).",
    ),
    click.option(
        "--y-pred",
        default=None,
        help="Predicted-label column (default: y_pred, prediction, pred, predicted).",
    ),
    click.option(
        "--proba-prefix",
        default=None,
        help="Prefix of per-class probability columns (default: proba_, prob_, score_).",
    ),
    click.option("--id", default=None, help="Id column (default: id, sample_id, image_id, uid)."),
    click.option(
        "--sample",
        default=None,
        help="Column with the sample itself, e.g. text or an image path "
        "(default: sample, text, image, image_path, path, filepath).",
    ),
    click.option(
        "--split",
        default=None,
        metavar="COLUMN",
        help="Column naming each row's split (default: split; compare reads it from either "
        "file or both).",
    ),
    click.option(
        "--max-cell-bytes",
        default=None,
        expose_value=False,
        callback=lambda ctx, _param, value: _cell_limit(ctx, value),
        metavar="SIZE",
        help="Largest cell a text input may hold, e.g. 16MiB (default: 1MiB; a line may hold "
        "8 times that). Guards against decompression bombs.",
    ),
)


def evaluation_options(tasks: Sequence[str] = ("classification", "regression")) -> Callable[[F], F]:
    """Which rows are described, and how they are read: --eval-split, --task, --dropna."""
    return stack(
        click.option(
            "--eval-split",
            default=None,
            metavar="VALUE",
            help="Describe (compare, draw errors from) this split's rows, or 'all' for every "
            "row (default: the dev split, else test, else every split but train; the split "
            "check still looks at every split).",
        ),
        click.option("--in-split", "in_split", cls=Alias, new="eval_split", what="splits"),
        click.option(
            "--task",
            type=click.Choice(["auto", *tasks]),
            default="auto",
            show_default=True,
            help="What the predictions are (auto: numeric targets with many values are "
            "regression).",
        ),
        click.option(
            "--dropna",
            is_flag=True,
            help="Drop rows with an empty true or predicted label (the report says how many).",
        ),
    )


def sample_options(*, default: int, draws: bool = False) -> Callable[[F], F]:
    """How many rows are shown (or, for sample-errors, drawn), and the seed that picks them."""
    return stack(
        click.option(
            "-n",
            "--max-samples",
            type=click.IntRange(min=1 if draws else 0),
            default=default,
            show_default=True,
            help="How many errors to draw (all of them when there are fewer)."
            if draws
            else "At most this many rows in each sample table.",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0) if draws else int,
            default=0,
            show_default=True,
            help="Seed of every random choice (rows shown or drawn, bootstrap intervals): the "
            "same seed gives the same output.",
        ),
    )


shown_columns_option = click.option(
    "--columns",
    multiple=True,
    callback=split_columns,
    help="Extra columns to show in sample tables (comma-separated or repeated).",
)

slice_options = stack(
    click.option(
        "--slice",
        "slices",
        multiple=True,
        callback=split_columns,
        help="Show errors (or residuals) per value, or quantile bin, of this column; repeatable.",
    ),
    click.option(
        "--slice-all",
        is_flag=True,
        help="Slice by every column that plays no other role.",
    ),
)

tag_options = stack(
    click.option(
        "--buckets",
        default=None,
        help="Column of error-bucket tags, several per row separated by ; | or , "
        "(default: buckets, bucket, tags).",
    ),
    click.option(
        "--tags",
        "tags",
        type=input_file("the tag sheet"),
        default=None,
        help="Tag sheet (CSV/TSV, e.g. from sample-errors) with an id and a buckets column, "
        "joined on the id column; compare applies it to both models.",
    ),
    click.option(
        "--tag-sep",
        "tag_separators",
        default=";|,",
        show_default=True,
        help="Characters that separate several tags in one cell.",
    ),
)

image_option = click.option(
    "--image-root",
    type=IMAGE_FOLDER,
    default=None,
    help="Folder holding the sample images: --sample paths are shown as thumbnails, "
    "read only below it.",
)

title_options = stack(
    click.option(
        "--title",
        default=None,
        help="Report title (default: from the model names or the file name).",
    ),
    click.option(
        "--created",
        default=None,
        help="Creation time to record, ISO 8601 or epoch seconds "
        "(default: SOURCE_DATE_EPOCH, else none).",
    ),
)


def model_names(
    model: Sequence[str], name_a: str | None = None, name_b: str | None = None
) -> tuple[str | None, str | None]:
    """Compare's two names from --model (twice: both in order; once: the candidate's).

    --name-a and --name-b are the old names, still read.
    """
    if len(model) > 2:
        raise ReportgenError(
            f"--model was given {len(model)} times; compare names two models: give it twice "
            "(the baseline's name, then the candidate's) or once (the candidate's)."
        )
    given = (None, *model) if len(model) == 1 else (*model, None, None)[:2]
    a, b = given[0], given[1]
    for old, new, value in (("--name-a", a, name_a), ("--name-b", b, name_b)):
        if value is not None and new is not None and value != new:
            raise ReportgenError(
                f"--model names {new!r} where {old} names {value!r}; {old} is the old name "
                "of --model: give only that."
            )
    return a if a is not None else name_a, b if b is not None else name_b
