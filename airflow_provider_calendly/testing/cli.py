"""The emulator's command line: ``python -m airflow_provider_calendly.testing.emulator --port 8765 --seed 42``.

Serves until interrupted and prints the ``AIRFLOW_CONN_CALENDLY_DEFAULT`` line that points Airflow at it.
:mod:`~airflow_provider_calendly.testing.emulator` runs :func:`main` with its class (this module imports no
emulator, so the two do not import each other).
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from typing import Any, Protocol

from airflow_provider_calendly.testing.data import PRESETS, org_size
from airflow_provider_calendly.testing.world import UPDATED_AT_CHANGES

__all__ = ["build_parser", "main"]


class _Served(Protocol):
    @property
    def base_url(self) -> str: ...

    def start(self) -> _Served: ...

    def stop(self) -> None: ...

    def connection_json(self) -> str: ...


def _changes(value: str) -> tuple[str, ...]:
    """``--updated-at-moved-by``: a comma-separated list of changes, or ``none``."""
    chosen = tuple(v.strip() for v in value.split(",") if v.strip() and v.strip() != "none")
    unknown = [c for c in chosen if c not in UPDATED_AT_CHANGES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown change(s) {unknown}; choose from {', '.join(UPDATED_AT_CHANGES)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_calendly.testing.emulator",
        description="Serve a local Calendly API v2 with deterministic synthetic data until interrupted (Ctrl-C). "
        "It prints the AIRFLOW_CONN_CALENDLY_DEFAULT line that points Airflow at it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: a free one)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic data: same seed, same data")
    parser.add_argument("--token", default="test-token", help="the only token the emulator accepts")
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="calls per window before answering 429 (default: unlimited)"
    )
    parser.add_argument("--rate-limit-period", type=float, default=60.0, help="rate-limit window in seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument(
        "--updated-at-moved-by",
        type=_changes,
        default=",".join(UPDATED_AT_CHANGES),
        help="changes that move the changed resource's updated_at (comma-separated, or 'none'): "
        "Calendly's reference does not say whether they do",
    )
    parser.add_argument("--scheduled-events", type=int, default=300, help="scheduled events in the organization")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None, help="a named organization size")
    parser.add_argument("--hosts", type=int, default=None, help="override the preset's value")
    parser.add_argument("--meetings-per-host-per-day", type=float, default=None, help="override the preset's value")
    parser.add_argument("--days-back", type=float, default=None, help="override the preset's value")
    parser.add_argument("--days-ahead", type=float, default=None, help="override the preset's value")
    return parser


def main(emulator_class: Callable[..., _Served], argv: list[str] | None = None) -> None:
    """Serve an emulator (``emulator_class(**options)``) as the command line asks, until interrupted."""
    args = build_parser().parse_args(argv)
    sized = args.preset is not None or any(
        v is not None for v in (args.hosts, args.meetings_per_host_per_day, args.days_back, args.days_ahead)
    )
    options: dict[str, Any] = (
        org_size(
            args.preset,
            hosts=args.hosts,
            meetings_per_host_per_day=args.meetings_per_host_per_day,
            days_back=args.days_back,
            days_ahead=args.days_ahead,
        ).dataset_options()
        if sized
        else {"scheduled_events": args.scheduled_events}
    )
    emulator = emulator_class(
        seed=args.seed,
        token=args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_limit_period=args.rate_limit_period,
        latency=args.latency,
        updated_at_moved_by=args.updated_at_moved_by,
        **options,
    ).start()
    print(f"Calendly emulator on {emulator.base_url} (seed {args.seed})", flush=True)
    print(f"export AIRFLOW_CONN_CALENDLY_DEFAULT='{emulator.connection_json()}'", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
