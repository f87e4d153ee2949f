"""What every Calendly area shares: one resource in and out, listings, identity, and the default owner.

An area (:mod:`~.scheduling`, :mod:`~.organization`, …) only builds paths and parameters and calls
:meth:`CalendlyBase.get_resource`, :meth:`~CalendlyBase.post_resource` or :meth:`~CalendlyBase.paginate`;
everything about how a request travels is in :mod:`~airflow_provider_calendly.client.requestor`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar

from pydantic import ValidationError

from airflow_provider_calendly.client.identity import Identity
from airflow_provider_calendly.client.pagination import PageIterator, parse_page
from airflow_provider_calendly.client.params import timestamp_param
from airflow_provider_calendly.client.requestor import Requestor
from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.models import CalendlyModel, User
from airflow_provider_calendly.pacing import RateLimiter

__all__ = ["CalendlyBase", "parse_one", "parse_resource"]

ModelT = TypeVar("ModelT", bound=CalendlyModel)


def parse_resource(body: dict[str, Any] | None, model: type[ModelT], method: str, path: str) -> ModelT:
    """Validate a single-resource response (``{"resource": {...}}``) into ``model``, or raise a typed error."""
    resource = body.get("resource") if body else None
    if not isinstance(resource, dict):
        raise CalendlyAPIError("response has no 'resource' object", method=method, path=path)
    try:
        return model.model_validate(resource)
    except ValidationError as exc:
        raise CalendlyAPIError(
            f"unexpected {model.__name__} shape ({exc.error_count()} validation errors)",
            method=method,
            path=path,
        ) from None


def parse_one(body: dict[str, Any] | None, model: type[ModelT], method: str, path: str) -> ModelT | None:
    """The one object of an answer that is ``{"resource": {...}}`` or a one-item ``{"collection": [...]}``
    (``None`` for an empty answer): for endpoints whose reference does not say which they return."""
    if not body:
        return None
    collection = body.get("collection")
    if "resource" not in body and isinstance(collection, list):
        if not collection:
            return None
        body = {"resource": collection[0]}
    return parse_resource(body, model, method, path)


class CalendlyBase(Requestor):
    """Resource helpers over the request path, identity against the base URL, and the token owner's scope."""

    _current_user: User | None = None

    # -- identity --

    @cached_property
    def identity(self) -> Identity:
        """Parses UUIDs and URIs against this connection's base URL."""
        return Identity(self.base_url)

    def resource_path(self, collection: str, uuid_or_uri: str) -> str:
        """Return ``/{collection}/{uuid}`` for a UUID or a URI of this API; reject anything else."""
        return self.identity.path(collection, uuid_or_uri)

    def resource_uri(self, collection: str, uuid_or_uri: str) -> str:
        """Return the canonical ``https://api.calendly.com/...`` URI for a UUID or URI (a resource's identity).

        Calendly names every resource by its canonical URI, however the API is reached (directly, through a
        gateway or a recording proxy), so filters, payloads, rows and XComs carry this form.
        """
        return self.identity.uri(collection, uuid_or_uri)

    # -- one resource, or a listing --

    def get_resource(self, path: str, model: type[ModelT]) -> ModelT:
        """``GET`` one resource and parse it."""
        return parse_resource(self.request("GET", path), model, "GET", path)

    def post_resource(
        self, path: str, payload: Mapping[str, Any], model: type[ModelT], *, budget: RateLimiter | None = None
    ) -> ModelT:
        """``POST`` a payload and parse the resource Calendly answers with."""
        return parse_resource(self.request("POST", path, json=payload, budget=budget), model, "POST", path)

    def paginate(self, path: str, params: Mapping[str, Any], model: type[ModelT]) -> PageIterator[ModelT]:
        """Return a lazy iterator over every item of a list endpoint."""
        return PageIterator(self.get, path, params, model)

    def ranged(
        self, path: str, params: Mapping[str, Any], model: type[ModelT], start: datetime, end: datetime, span: timedelta
    ) -> Iterator[tuple[datetime, datetime, list[ModelT]]]:
        """Read a listing whose ``start_time``/``end_time`` range is at most ``span``: one call per ``span`` of
        ``[start, end)``, lazily; yields each range's bounds and items."""
        while start < end:
            stop = min(end, start + span)
            bounds = {"start_time": timestamp_param("start_time", start), "end_time": timestamp_param("end_time", stop)}
            yield start, stop, parse_page(self.get(path, {**params, **bounds}), model, path).collection
            start = stop

    # -- the token owner: the default scope of every listing --

    def get_current_user(self) -> User:
        """Return the token's user (``GET /users/me``), fetched once per client."""
        if self._current_user is None:
            self._current_user = self.get_resource("/users/me", User)
        return self._current_user

    def organization_uri(self, organization: str | None = None) -> str:
        """Return the given organization's canonical URI, else the token owner's current organization's."""
        if organization is None:
            organization = self.get_current_user().current_organization
            if not organization:
                raise CalendlyAPIError("the token's user has no current_organization; pass user or organization")
        return self.resource_uri("organizations", organization)

    def user_uri(self, user: str | None = None) -> str:
        """Return the given user's canonical URI, else the token owner's."""
        return self.resource_uri("users", user) if user is not None else self.get_current_user().uri

    def owner_params(self, user: str | None, organization: str | None) -> dict[str, str]:
        """Scope a listing: the given user and/or organization, else the token owner's organization."""
        params: dict[str, str] = {}
        if user is not None:
            params["user"] = self.resource_uri("users", user)
        if organization is not None or user is None:
            params["organization"] = self.organization_uri(organization)
        return params
