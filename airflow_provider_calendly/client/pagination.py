"""Pagination: the one check of a page's shape, and the lazy iterator over a list endpoint's pages.

Like stripe's auto-paging iterator: a :class:`~airflow_provider_calendly.models.Page` is items plus a cursor,
and :class:`PageIterator` fetches the next page only when the consumer asks for more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyPaginationError
from airflow_provider_calendly.models import CalendlyModel, Page

__all__ = ["PageIterator", "parse_page"]

ModelT = TypeVar("ModelT", bound=CalendlyModel)

#: Send one GET: ``(path, params) -> JSON body``.
Fetch = Callable[[str, Mapping[str, Any]], "dict[str, Any] | None"]


def parse_page(body: dict[str, Any] | None, model: type[ModelT], path: str) -> Page[ModelT]:
    """Validate a list response (``collection`` + ``pagination``) into a page of ``model``, or raise a typed error."""
    try:
        return Page[model].model_validate(body)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise CalendlyAPIError(
            f"unexpected {model.__name__} page shape ({exc.error_count()} validation errors)",
            status_code=200,
            method="GET",
            path=path,
        ) from None


class PageIterator(Generic[ModelT]):
    """Lazy iterator over a list endpoint: one API call per page, none after the consumer stops.

    Iterate it for items, or call :meth:`pages` for :class:`~airflow_provider_calendly.models.Page` objects
    (items plus cursor). Each ``PageIterator`` walks the listing once.

    :param fetch: Sends one GET (the client's request path).
    :param path: The list endpoint.
    :param params: Its filters (``page_token`` is added per page).
    :param model: The item model.
    """

    def __init__(self, fetch: Fetch, path: str, params: Mapping[str, Any], model: type[ModelT]) -> None:
        self._fetch = fetch
        self._path = path
        self._params = dict(params)
        self._model = model
        self.pages_fetched = 0

    def pages(self) -> Iterator[Page[ModelT]]:
        seen_tokens: set[str] = set()
        token: str | None = None
        while True:
            params = dict(self._params)
            if token:
                params["page_token"] = token
            page = parse_page(self._fetch(self._path, params), self._model, self._path)
            self.pages_fetched += 1
            yield page
            token = page.pagination.next_page_token
            if not token:
                return
            if token in seen_tokens:
                raise CalendlyPaginationError(
                    "Calendly returned a next_page_token it had already returned; stopping instead of looping",
                    method="GET",
                    path=self._path,
                )
            seen_tokens.add(token)

    def __iter__(self) -> Iterator[ModelT]:
        for page in self.pages():
            yield from page.collection
