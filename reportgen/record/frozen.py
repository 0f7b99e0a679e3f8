"""Read-only records: dicts and lists that refuse every write, for the record a Report hands out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, SupportsIndex, TypeVar, cast

T = TypeVar("T")


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    raise TypeError(
        "a built report's record is read-only; copy.deepcopy(report.record) gives one to edit"
    )


class FrozenDict(dict[str, Any]):
    """A dict that refuses writes; json, jinja and `dict(...)` read it as any dict."""

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        # a copy is the caller's own: plain containers it may edit
        return cast(dict[str, Any], thaw(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


class FrozenList(list[Any]):
    """A list that refuses writes; json and jinja read it as any list."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse

    def __init__(self, items: Iterable[Any] = ()) -> None:
        # list.__init__ fills the list without going through the refused methods
        super().__init__(items)

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return cast(list[Any], thaw(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        # a slice of a frozen list is frozen too
        found = super().__getitem__(index)
        return FrozenList(found) if isinstance(index, slice) else found


def freeze(record: T) -> T:
    """Return a read-only copy of a record: every dict and list in it refuses writes."""
    return cast(T, _freeze(record))


def _freeze(node: Any) -> Any:
    if isinstance(node, FrozenDict | FrozenList):
        return node  # already frozen all the way down
    if isinstance(node, dict):
        return FrozenDict({key: _freeze(value) for key, value in node.items()})
    if isinstance(node, list | tuple):
        return FrozenList(_freeze(value) for value in node)
    return node


def thaw(node: Any) -> Any:
    """Return plain dicts and lists for a (possibly frozen) record, to edit freely."""
    if isinstance(node, dict):
        return {key: thaw(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [thaw(value) for value in node]
    return node
