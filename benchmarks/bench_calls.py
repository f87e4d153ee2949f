"""Goal 1: the provider makes no API call a careful hand-written script would skip.

Run it with ``python -m benchmarks.bench_calls`` (``--events`` to change the organization's size,
``--quick`` for a small one). Calls are counted by the emulator (in its own process), not by the client:

* **Listing** ``N`` scheduled events with page size ``p`` costs exactly ``⌈N/p⌉`` list calls, plus at most
  one ``/users/me`` per hook (to find the token's organization); stopping after ``k`` items costs
  ``⌈k/p⌉`` calls, none more.
* **Full sync** of the organization (:class:`CalendlySqlSync`, ``mode="full"``, the default resources, into
  SQLite) against a hand-written ``requests`` script making the minimal calls: ``/users/me``, every page of
  event types, of scheduled events, and of each event's invitees (skipping events whose
  ``invitees_counter.total`` is 0), of memberships (users embedded), groups, group relationships, routing
  forms, each form's submissions, the activity log, each member's availability schedules and each event
  type's hosts, the organization, its invitations, and each member's meeting locations.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any

import requests

from airflow_provider_calendly.uris import CANONICAL_API_URL
from benchmarks.common import EmulatorProcess, hook_for, save, sqlite_writer, wants_quick
from benchmarks.report import Row, run_standalone


def _count(calls: list[Any]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for call in calls:
        if call.path == "/users/me":
            kinds["identity"] += 1
        elif call.path.endswith("/invitees"):
            kinds["invitees"] += 1
        elif call.path.startswith("/_emulator"):
            continue
        else:
            kinds[call.path.strip("/")] += 1
        kinds["total"] += 1
    return kinds


def hand_written_sync(base_url: str, token: str) -> int:
    """The baseline: the fewest calls that read the whole organization, with plain ``requests``.

    :returns: The number of invitees read (every call is counted by the emulator).
    """
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def pages(url: str, params: dict[str, Any] | None) -> Any:
        while url:
            # Calendly's URIs and next_page links are canonical (https://api.calendly.com/...): reach them here.
            url = url.replace(CANONICAL_API_URL, base_url, 1)
            body = session.get(url, params=params, timeout=30).json()
            yield body["collection"]
            url, params = body["pagination"]["next_page"], None

    org = session.get(f"{base_url}/users/me", timeout=30).json()["resource"]["current_organization"]
    by_org = {"organization": org, "count": 100}
    event_types = [t["uri"] for page in pages(f"{base_url}/event_types", by_org) for t in page]
    invitees = 0
    for events in pages(f"{base_url}/scheduled_events", {**by_org, "sort": "start_time:asc"}):
        for event in events:
            if event["invitees_counter"]["total"] == 0:
                continue
            for page in pages(f"{event['uri']}/invitees", {"count": 100}):
                invitees += len(page)
    members = [m["user"]["uri"] for page in pages(f"{base_url}/organization_memberships", by_org) for m in page]
    for collection in ("groups", "group_relationships", "activity_log_entries"):
        for _ in pages(f"{base_url}/{collection}", by_org):
            pass
    for form in [f["uri"] for page in pages(f"{base_url}/routing_forms", by_org) for f in page]:
        for _ in pages(f"{base_url}/routing_form_submissions", {"form": form, "count": 100}):
            pass
    for user in members:
        session.get(f"{base_url}/user_availability_schedules", params={"user": user}, timeout=30).json()
    for event_type in event_types:
        for _ in pages(f"{base_url}/event_type_memberships", {"event_type": event_type, "count": 100}):
            pass
    org_url = org.replace(CANONICAL_API_URL, base_url, 1)
    session.get(org_url, timeout=30).json()
    for _ in pages(f"{org_url}/invitations", {"count": 100}):
        pass
    for user in members:
        session.get(f"{base_url}/locations", params={"user": user}, timeout=30).json()
    session.close()
    return invitees


def bench_listing(emulator: EmulatorProcess, events: int, page_size: int, take: int | None = None) -> Row:
    hook = hook_for(emulator.connection_json(rate_limit=100_000, rate_limit_period=1))
    emulator.reset()
    listing = hook.list_scheduled_events(page_size=page_size)
    got = sum(1 for _ in (islice(listing, take) if take is not None else listing))
    kinds = _count(emulator.calls())
    hook.close()
    expected = math.ceil((take if take is not None else events) / page_size)
    list_calls = kinds["scheduled_events"]
    ok = list_calls == expected and kinds["identity"] <= 1 and kinds["total"] == list_calls + kinds["identity"]
    what = f"first {take:,} of {events:,}" if take is not None else f"{events:,}"
    return Row(
        metric=f"API calls to list {what} scheduled events, page size {page_size}",
        ours=kinds["total"],
        baseline=expected + 1,
        unit="calls",
        goal="⌈N/page⌉ list calls + ≤ 1 identity",
        passed=ok and got == (take if take is not None else events),
        note=f"{list_calls} list + {kinds['identity']} /users/me; baseline ⌈{got}/{page_size}⌉ = {expected} + 1",
    )


def bench_sync(emulator: EmulatorProcess, workdir: Path) -> tuple[Row, dict[str, Any]]:
    from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync

    emulator.reset()
    invitees = hand_written_sync(emulator.base_url, emulator.token)
    baseline = _count(emulator.calls())

    hook = hook_for(emulator.connection_json(rate_limit=100_000, rate_limit_period=1))
    writer = sqlite_writer(workdir / "calls.db")
    emulator.reset()
    summary = CalendlySqlSync(hook=hook, writer=writer, mode="full").run()
    ours = _count(emulator.calls())
    landed = writer.count("invitees")
    writer.close()
    hook.close()
    extra = {k: ours[k] - baseline[k] for k in ours | baseline if ours[k] != baseline[k]}
    note = (
        f"{summary['api_calls']} calls by the hook's count; "
        + ", ".join(f"{k} {ours[k]}" for k in sorted(ours) if k != "total")
        + (f"; beyond the baseline: {extra}" if extra else "; same calls as the baseline")
    )
    row = Row(
        metric=f"API calls of a default full sync (the default resources, {landed:,} invitees) vs a minimal hand-written script",
        ours=ours["total"],
        baseline=baseline["total"],
        unit="calls",
        goal="ours ≤ baseline",
        passed=ours["total"] <= baseline["total"] and landed == invitees,
        note=note,
    )
    return row, {"ours": dict(ours), "baseline": dict(baseline), "invitees": landed}


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="scheduled events in the organization")
    parser.add_argument("--quick", action="store_true", help="a small organization (for the test suite)")
    args = parser.parse_args(argv)
    events = args.events or (230 if wants_quick(argv) else 1000)
    rows: list[Row] = []
    with EmulatorProcess(seed=7, scheduled_events=events) as emulator:
        rows.append(bench_listing(emulator, events, 100))
        rows.append(bench_listing(emulator, events, 7))
        rows.append(bench_listing(emulator, events, 100, take=150))
        with tempfile.TemporaryDirectory(prefix="calendly-bench-calls-") as tmp:
            row, data = bench_sync(emulator, Path(tmp))
        rows.append(row)
    save("bench_calls", data)
    return rows


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
