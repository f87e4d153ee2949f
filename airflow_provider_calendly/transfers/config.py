"""The arguments of a sync, validated once: :class:`SyncConfig`, and the choices its fields take.

The operator checks its non-templated arguments with the same :class:`SyncConfig` when a DAG is parsed, and
again, rendered, when its task runs; the sync engine (:mod:`.sync`) takes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from airflow_provider_calendly.client.params import check_page_size
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import MAX_PAGE_SIZE, CalendlyHook
from airflow_provider_calendly.scopes import OPT_IN_RESOURCES
from airflow_provider_calendly.transfers.reconcile import RefreshWindow, validate_invitee_refresh
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES

__all__ = [
    "DEFAULT_BUSY_TIMES_HORIZON",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_LOOKBACK",
    "DEFAULT_RESOURCES",
    "DELETIONS",
    "MODES",
    "RESOURCES",
    "SyncConfig",
    "scope_uris",
    "tables_for_resources",
    "validate_deletions",
    "validate_mode",
    "validate_resources",
]

#: Every resource the operator accepts, in sync order (the registry's order).
RESOURCES: tuple[str, ...] = tuple(RESOURCE_TABLES)
#: What a sync reads by default: every resource but the opt-in ones (:data:`~airflow_provider_calendly.scopes.
#: OPT_IN_RESOURCES`, which also says why each is opt-in).
DEFAULT_RESOURCES: tuple[str, ...] = tuple(r for r in RESOURCES if r not in OPT_IN_RESOURCES)
MODES: tuple[str, ...] = ("incremental", "full")
#: What to do with rows Calendly no longer returns (see :mod:`.deletions`).
DELETIONS: tuple[str, ...] = ("mark", "delete", "ignore")
DEFAULT_LOOKBACK = timedelta(days=30)
#: Scheduled events (with their invitees), or items of another resource, per committed chunk.
DEFAULT_CHUNK_SIZE = 500
#: How far ahead ``busy_times`` reads (one call per member per 7 days of it).
DEFAULT_BUSY_TIMES_HORIZON = timedelta(days=7)
#: The longest ``busy_times_horizon`` accepted (Calendly books up to a year ahead at most).
MAX_BUSY_TIMES_HORIZON = timedelta(days=366)


def validate_resources(resources: Iterable[str]) -> tuple[str, ...]:
    """Return ``resources`` in canonical order, refusing unknown names and an empty selection."""
    if isinstance(resources, str):
        resources = [resources]
    chosen = list(dict.fromkeys(resources))
    unknown = [r for r in chosen if r not in RESOURCES]
    if unknown:
        raise CalendlyConfigError(f"unknown resource(s) {unknown}; choose from {list(RESOURCES)}")
    if not chosen:
        raise CalendlyConfigError(f"resources is empty; choose from {list(RESOURCES)}")
    return tuple(r for r in RESOURCES if r in chosen)


def validate_mode(mode: str) -> str:
    """Return ``mode`` if it is ``incremental`` or ``full``."""
    return CalendlyConfigError.check_choice("mode", mode, MODES)


def validate_deletions(deletions: str) -> str:
    """Return ``deletions`` if it is ``mark``, ``delete`` or ``ignore``."""
    return CalendlyConfigError.check_choice("deletions", deletions, DELETIONS)


def tables_for_resources(resources: Iterable[str]) -> tuple[str, ...]:
    """Return the table keys written for ``resources`` (children included), e.g. ``invitee_answers``."""
    return tuple(t for r in validate_resources(resources) for t in RESOURCE_TABLES[r])


@dataclass(frozen=True)
class SyncConfig:
    """Every argument of a sync, validated once, here: constructing one with a bad value raises.

    :param resources: Which of :data:`RESOURCES` to sync (canonical order); default: :data:`DEFAULT_RESOURCES`.
    :param organization: Organization UUID or URI to sync; default: the token owner's organization.
    :param user: User UUID or URI to sync instead of (or within) an organization.
    :param mode: ``incremental`` (re-read a start-time window, see :mod:`.sync`) or ``full``.
    :param lookback: How far before the watermark an incremental pass starts reading.
    :param chunk_size: Scheduled events per committed chunk (their invitees go in the same chunk).
    :param page_size: Items per API page (1-100).
    :param max_concurrency: Invitee listings in flight at once; the hook's rate limiter still caps the rate.
    :param progress_interval: Seconds between progress reports (log line and, from the operator, an XCom).
    :param invitee_refresh: ``reconcile`` (list invitees only of new, changed and refresh-window events in an
        incremental pass) or ``all`` (every event's).
    :param invitee_refresh_window: The refresh window (:class:`~.reconcile.RefreshWindow` or a
        ``(before, after)`` pair of timedeltas); default 7 days back to 2 days ahead.
    :param deletions: What to do with rows Calendly no longer returns (found by full re-reads and
        ``mode="full"`` passes): ``mark`` (set ``_deleted_at``), ``delete`` or ``ignore``.
    :param strict_resources: Fail, rather than skip with a warning, on a resource Calendly answers 403/404 for.
    :param webhook_inbox_conn_id: Connection of the webhook receiver's inbox: an incremental pass first
        applies its deliveries (see :mod:`~airflow_provider_calendly.transfers.change_capture`).
    :param busy_times_horizon: How far ahead ``busy_times`` reads (Calendly answers busy times only from now on).
    :param include_transcripts: Also land meeting recaps' transcripts, an utterance a row (one call per recap
        whose transcript is not stored yet); off by default for their size and sensitivity.
    """

    resources: tuple[str, ...] = DEFAULT_RESOURCES
    organization: str | None = None
    user: str | None = None
    mode: str = "incremental"
    lookback: timedelta = DEFAULT_LOOKBACK
    chunk_size: int = DEFAULT_CHUNK_SIZE
    page_size: int = MAX_PAGE_SIZE
    max_concurrency: int = 4
    progress_interval: float = 30.0
    invitee_refresh: str = "reconcile"
    invitee_refresh_window: RefreshWindow | tuple[timedelta, timedelta] | None = None
    deletions: str = "mark"
    strict_resources: bool = False
    webhook_inbox_conn_id: str | None = None
    busy_times_horizon: timedelta = DEFAULT_BUSY_TIMES_HORIZON
    include_transcripts: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "resources", validate_resources(self.resources))
        validate_deletions(self.deletions)
        if not isinstance(self.strict_resources, bool):
            raise CalendlyConfigError(f"strict_resources must be True or False, got {self.strict_resources!r}")
        validate_invitee_refresh(self.invitee_refresh)
        object.__setattr__(self, "invitee_refresh_window", RefreshWindow.coerce(self.invitee_refresh_window))
        validate_mode(self.mode)
        if not isinstance(self.lookback, timedelta) or self.lookback < timedelta(0):
            raise CalendlyConfigError(f"lookback must be a non-negative timedelta, got {self.lookback!r}")
        horizon = self.busy_times_horizon
        if not isinstance(horizon, timedelta) or not timedelta(0) < horizon <= MAX_BUSY_TIMES_HORIZON:
            raise CalendlyConfigError(
                f"busy_times_horizon must be a timedelta of more than 0 and at most {MAX_BUSY_TIMES_HORIZON.days} "
                f"days, got {horizon!r}"
            )
        for name in ("chunk_size", "max_concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise CalendlyConfigError("chunk_size and max_concurrency must be at least 1")
        interval = self.progress_interval
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise CalendlyConfigError(f"progress_interval must be a positive number of seconds, got {interval!r}")
        check_page_size(self.page_size)
        if not isinstance(self.include_transcripts, bool):
            raise CalendlyConfigError(f"include_transcripts must be True or False, got {self.include_transcripts!r}")
        if self.include_transcripts and "meeting_recaps" not in self.resources:
            raise CalendlyConfigError("include_transcripts needs the meeting_recaps resource")
        inbox = self.webhook_inbox_conn_id
        if inbox is not None and (not isinstance(inbox, str) or not inbox.strip()):
            raise CalendlyConfigError(f"webhook_inbox_conn_id must be a connection id, got {inbox!r}")

    @property
    def refresh_window(self) -> RefreshWindow:
        """:attr:`invitee_refresh_window`, always a :class:`~.reconcile.RefreshWindow` (``__post_init__`` made it one)."""
        window = self.invitee_refresh_window
        assert isinstance(window, RefreshWindow)
        return window


def scope_uris(config: SyncConfig, hook: CalendlyHook) -> tuple[str | None, str | None]:
    """The URIs of the organization and the user ``config`` names (``None`` for each it does not name).

    :raises CalendlyConfigError: if either is not a UUID or a URI of the API the hook reaches.
    """
    organization = hook.resource_uri("organizations", config.organization) if config.organization else None
    user = hook.resource_uri("users", config.user) if config.user else None
    return organization, user
