"""How the emulator serves a path: one route table for Calendly's API and the admin API, and the list helpers.

A route is a method and a collection (the path's first segment), declared next to its handler with
:func:`route`::

    class Notetaker:
        @route("GET", "meeting_recaps")
        def get_recaps(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]: ...

and installed with :meth:`Router.install` (``admin=True`` routes live under ``/_emulator/`` and need no
token). The token scope an API route needs is not repeated here: it is the route's entry in
:data:`airflow_provider_calendly.scopes.ENDPOINT_SCOPES`, and installing a route that has none fails. A handler gets the path segments after the collection, the query and the JSON body, and returns
``(status, body)`` or raises :class:`~airflow_provider_calendly.testing.errors.ApiError`.

Listings share the helpers here, so every endpoint validates and pages alike: :func:`count_param`,
:func:`parse_sort` (Calendly's comma-separated ``{field}:{direction}`` list), :func:`uri_param`,
:func:`time_param`, :func:`bool_param`, :func:`enum_param` (each answering Calendly's 400 naming the
parameter) and :func:`paginate` (keyset pages with opaque tokens, and the pagination faults).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from airflow_provider_calendly.scopes import ENDPOINT_SCOPES
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import invalid_parameter, time_parameter
from airflow_provider_calendly.uris import CANONICAL_API_URL

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.state import EmulatorState

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Handler",
    "Route",
    "Router",
    "SortOrder",
    "bool_param",
    "count_param",
    "enum_param",
    "paginate",
    "parse_sort",
    "route",
    "time_param",
    "uri_param",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Handler = Callable[[list[str], dict[str, str], Any], tuple[int, Any]]
_F = TypeVar("_F", bound=Callable[..., tuple[int, Any]])


# --- the route table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """``method /collection/...`` served by ``handler``; ``scope`` is the token scope it needs (``None``: any)."""

    method: str
    collection: str
    handler: Handler
    scope: str | None = None
    admin: bool = False


def route(method: str, collection: str, *, admin: bool = False) -> Callable[[_F], _F]:
    """Declare the decorated method as the handler of ``method /collection/...`` (see :meth:`Router.install`)."""

    def mark(handler: _F) -> _F:
        declared = getattr(handler, "_emulator_routes", ())
        handler._emulator_routes = (*declared, (method, collection, admin))  # type: ignore[attr-defined]
        return handler

    return mark


def declared_routes(owner: object) -> list[Route]:
    """The routes declared with :func:`route` on ``owner``'s methods, bound to ``owner``, each API route with the
    scope :data:`~airflow_provider_calendly.scopes.ENDPOINT_SCOPES` gives it.

    :raises LookupError: for an API route the scope table does not declare.
    """
    routes = []
    for name in dir(type(owner)):
        for method, collection, admin in getattr(getattr(type(owner), name), "_emulator_routes", ()):
            scope = None if admin else ENDPOINT_SCOPES.get((method, collection))
            if scope is None and not admin:
                raise LookupError(f"{method} /{collection} has no scope in airflow_provider_calendly.scopes")
            routes.append(Route(method, collection, getattr(owner, name), scope, admin))
    return routes


class Router:
    """Every route the emulator serves, by (method, collection), API and admin apart."""

    def __init__(self) -> None:
        self._routes: dict[tuple[bool, str, str], Route] = {}

    def add(self, route: Route) -> None:
        """Serve ``route`` (replacing a route of the same method and collection)."""
        self._routes[route.admin, route.method, route.collection] = route

    def install(self, owner: object, *, wrap: Callable[[Route], Handler] | None = None) -> None:
        """Serve every route declared on ``owner`` (``wrap`` may put a guard around each handler)."""
        for declared in declared_routes(owner):
            self.add(replace(declared, handler=wrap(declared)) if wrap is not None else declared)

    def get(self, method: str, collection: str, *, admin: bool = False) -> Route | None:
        return self._routes.get((admin, method, collection))

    def routes(self) -> list[Route]:
        """Every route served (API and admin)."""
        return list(self._routes.values())

    def resolve(self, method: str, path: str, *, admin: bool = False) -> tuple[Route | None, list[str]]:
        """The route serving ``path`` (``None`` if none does) and the segments after its collection."""
        segments = [s for s in path.split("/") if s]
        if admin:
            segments = segments[1:]  # the "_emulator" prefix
        if not segments:
            return None, []
        return self.get(method, segments[0], admin=admin), segments[1:]


# --- parameters ------------------------------------------------------------------------------------------------


def count_param(query: dict[str, str]) -> int:
    """The page size: ``count`` from 1 to 100 (default 20), as Calendly validates it."""
    raw = query.get("count", str(DEFAULT_PAGE_SIZE))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_parameter("count", f"must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def time_param(name: str, value: str) -> str:
    """A time filter as the emulator's own ISO text (what stored timestamps are compared with)."""
    return iso(time_parameter(name, value))


def bool_param(name: str, value: str) -> bool:
    if value not in {"true", "false"}:
        raise invalid_parameter(name, "must be true or false")
    return value == "true"


def enum_param(query: dict[str, str], name: str, allowed: Collection[str]) -> str | None:
    """``query[name]`` if it is one of ``allowed`` (``None`` when absent), else Calendly's 400."""
    value = query.get(name)
    if value is not None and value not in allowed:
        raise invalid_parameter(name, f"must be one of {', '.join(sorted(allowed))}")
    return value


def uri_param(state: EmulatorState, query: dict[str, str], name: str, collection: str) -> str | None:
    """A URI filter (``user=https://api.calendly.com/users/…``) as the data names it; 400 when malformed."""
    value = query.get(name)
    if value is None:
        return None
    uri = state.canonical(value)
    base = state.data.base_url
    segments = uri[len(base) :].split("/") if uri.startswith(base + "/") else []
    if len(segments) != 3 or segments[1] != collection or not segments[2]:
        raise invalid_parameter(name, f"must be a {collection} URI such as {CANONICAL_API_URL}/{collection}/<uuid>")
    return uri


# --- sorting ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortOrder:
    """Fields to order by, each ascending or descending; ``uri`` breaks ties."""

    fields: tuple[tuple[str, bool], ...]

    @property
    def uniform(self) -> bool:
        """Whether every field goes the same way (a plain tuple sort then does, ``reverse`` for descending)."""
        return len({descending for _, descending in self.fields}) == 1

    @property
    def descending(self) -> bool:
        return self.fields[0][1]

    def values(self, item: dict[str, Any]) -> list[Any]:
        """The JSON-safe sort position of ``item`` (what a page token carries): per field whether its value is
        missing and the value, then the item's uri."""
        position: list[Any] = []
        for name, _ in self.fields:
            value = item.get(name)
            position += [value is None, value]
        return [*position, item["uri"]]

    def key(self, position: Sequence[Any]) -> Any:
        """A comparable key of a position (with mixed directions, one that inverts the descending fields)."""
        if self.uniform:
            return tuple(position)
        pairs = (tuple(position[2 * n : 2 * n + 2]) for n in range(len(self.fields)))
        return (*(_Inverted(p) if d else p for p, (_, d) in zip(pairs, self.fields, strict=True)), position[-1])

    def item_key(self) -> Callable[[dict[str, Any]], Any]:
        """``key(values(item))`` as one function, flat and fast for the usual single field."""
        if len(self.fields) == 1:
            name = self.fields[0][0]
            return lambda item: ((value := item.get(name)) is None, value, item["uri"])
        return lambda item: self.key(self.values(item))


@functools.total_ordering
class _Inverted:
    """A sort component in reverse order (for one descending field among ascending ones)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Inverted) and self.value == other.value

    def __lt__(self, other: _Inverted) -> bool:
        return bool(other.value < self.value)

    __hash__ = None  # type: ignore[assignment]


def parse_sort(query: dict[str, str], allowed: Collection[str], default: str) -> SortOrder:
    """``sort`` as Calendly documents it: a comma-separated list of ``{field}:{direction}`` (``asc``/``desc``)."""
    fields: list[tuple[str, bool]] = []
    for part in query.get("sort", default).split(","):
        name, _, direction = part.strip().partition(":")
        if name not in allowed or direction not in {"asc", "desc"} or name in {f for f, _ in fields}:
            choices = ", ".join(f"{a}:asc, {a}:desc" for a in sorted(allowed))
            raise invalid_parameter("sort", f"must be a comma-separated list of {choices}")
        fields.append((name, direction == "desc"))
    return SortOrder(tuple(fields))


# --- pages -----------------------------------------------------------------------------------------------------


def _encode_token(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str, order: SortOrder) -> list[Any]:
    """The position a token names (:meth:`SortOrder.values`, possibly followed by a nonce); 400 if it is not one."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_parameter("page_token", "is invalid") from None
    size = 2 * len(order.fields) + 1
    if (
        not isinstance(position, list)
        or len(position) not in (size, size + 1)
        or not isinstance(position[size - 1], str)
        or not all(isinstance(missing, bool) for missing in position[: size - 1 : 2])
    ):
        raise invalid_parameter("page_token", "is invalid")
    return position[:size]


def _bisect(ordered: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any], position: Any, *, right: bool) -> int:
    """Where ``position`` falls in ``ordered`` (sorted by ``key``); 400 for a token whose values do not compare."""
    try:
        return (bisect.bisect_right if right else bisect.bisect_left)(ordered, position, key=key)
    except TypeError:  # a token of another listing or sort
        raise invalid_parameter("page_token", "is invalid") from None


def paginate(
    state: EmulatorState, path: str, items: Iterable[dict[str, Any]], query: dict[str, str], order: SortOrder
) -> dict[str, Any]:
    """One page of ``items`` in ``order`` after the query's ``page_token``, in Calendly's envelope.

    Keyset pagination: a token names the last item's position, so items added or removed between pages
    neither repeat nor go missing. The pagination faults (an empty page that still has a token, a token that
    repeats) are drawn here.
    """
    count = count_param(query)
    key = order.item_key()
    ordered = sorted(items, key=key)  # ascending by key: a descending listing reads it backwards
    token = query.get("page_token")
    position = _decode_token(token, order) if token else None
    if order.uniform and order.descending:
        end = _bisect(ordered, key, order.key(position), right=False) if position is not None else len(ordered)
        page, more = ordered[max(0, end - count) : end][::-1], end > count
    else:
        start = _bisect(ordered, key, order.key(position), right=True) if position is not None else 0
        page, more = ordered[start : start + count], start + count < len(ordered)
    faults = state.faults
    if page and faults.take_empty_page(path):
        # a fresh token for the same position: the next call resumes where this empty page stood
        resume = position if position is not None else _before_first(order, page[0])
        return _envelope(state, path, query, [], _encode_token([*resume, state.new_id()]), token)
    next_token = _encode_token(order.values(page[-1])) if more and page else None
    if next_token and token and faults.repeats_page_token(path):
        next_token = token
    return _envelope(state, path, query, page, next_token, token)


def _before_first(order: SortOrder, first: dict[str, Any]) -> list[Any]:
    """A position just before ``first``: its values with a uri that sorts before its own."""
    values = order.values(first)
    reversed_uris = order.uniform and order.descending
    return [*values[:-1], values[-1] + "\uffff" if reversed_uris else ""]


def _envelope(
    state: EmulatorState,
    path: str,
    query: dict[str, str],
    page: list[dict[str, Any]],
    next_token: str | None,
    token: str | None,
) -> dict[str, Any]:
    def url(page_token: str | None) -> str | None:
        if not page_token:
            return None
        params = {k: v for k, v in query.items() if k != "page_token"}
        params["page_token"] = page_token
        return f"{state.data.base_url}{path}?{urlencode(params)}"

    return {
        "collection": page,
        "pagination": {
            "count": len(page),
            "next_page": url(next_token),
            "previous_page": url(token) if token else None,
            "next_page_token": next_token,
            "previous_page_token": token,
        },
    }
