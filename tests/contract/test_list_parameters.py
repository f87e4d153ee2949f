"""Every documented filter, sort field and direction of every list endpoint, as Calendly answers them.

Hypothesis draws, per listing, any combination of its documented parameters (:data:`LIST_PARAMETERS`, from
Calendly's published reference) with valid or invalid values. Valid values answer 200: every page conforms to
our schema, each item satisfies the filters, the walk over the pages repeats no item, and the order is the one
asked for (any comma-separated list of fields and directions). An invalid value answers 400 with ``details``
naming the parameter. Nothing answers 500: a client no one here wrote (Airbyte's source-calendly asks
``/event_types?sort=updated_at:desc``, ``position`` sorts used to crash) reads the emulator completely.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.testing import CalendlyEmulator
from tests.contract.schemas import CANONICAL, LIST_PARAMETERS, page_violations, violations

#: The schema of each listing's items.
SCHEMA_OF = {
    "/event_types": "EventType",
    "/scheduled_events": "ScheduledEvent",
    "/scheduled_events/*/invitees": "Invitee",
    "/organization_memberships": "OrganizationMembership",
    "/groups": "Group",
    "/group_relationships": "GroupRelationship",
    "/routing_forms": "RoutingForm",
    "/routing_form_submissions": "RoutingFormSubmission",
    "/activity_log_entries": "ActivityLogEntry",
    "/user_availability_schedules": "AvailabilitySchedule",
    "/event_type_memberships": "EventTypeMembership",
    "/webhook_subscriptions": "WebhookSubscription",
    "/organizations/*/invitations": "OrganizationInvitation",
}
#: Parameters of which one is required (Calendly: "either organization or user", …).
ONE_OF = {
    "/event_types": ("organization", "user"),
    "/scheduled_events": ("organization", "user", "group"),
    "/organization_memberships": ("organization", "user"),
}
#: Parameters always required.
REQUIRED = {
    "/groups": ("organization",),
    "/routing_forms": ("organization",),
    "/routing_form_submissions": ("form",),
    "/activity_log_entries": ("organization",),
    "/user_availability_schedules": ("user",),
    "/event_type_memberships": ("event_type",),
    "/webhook_subscriptions": ("organization", "scope"),
}
#: The order a sortable listing answers in when asked for none.
DEFAULT_SORT = {"/event_types": "name:asc", "/activity_log_entries": "occurred_at:desc"}
#: Invalid values by kind (each answers 400 naming the parameter).
INVALID = {
    "bool": ["True", "1", "yes"],
    "count": ["0", "101", "ten"],
    "ts": ["yesterday", "2026-13-01T00:00:00Z"],
    "ref": ["not-a-uri", f"{CANONICAL}/nothing/x"],
}


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture(scope="module")
def emulator() -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=11, scheduled_events=60) as emu:
        org = emu.organization
        first_group = org.groups[0]["uri"]
        emu.webhooks.subscribe("https://hooks.example/a", ["invitee.created"])
        emu.webhooks.subscribe(
            "https://hooks.example/b", ["invitee.created"], scope="user", user=emu.data.users[0]["uri"]
        )
        emu.webhooks.subscribe("https://hooks.example/c", ["invitee.canceled"], scope="group", group=first_group)
        yield emu


@pytest.fixture(scope="module")
def session(emulator: CalendlyEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {emulator.token}"
        yield s


def _pools(emulator: CalendlyEmulator) -> dict[str, list[str]]:
    """Existing URIs of each collection: the valid values of ``ref:`` parameters."""
    data, org = emulator.data, emulator.organization
    return {
        "organizations": [data.organization["uri"]],
        "users": [u["uri"] for u in data.users],
        "groups": [g["uri"] for g in org.groups],
        "organization_memberships": [m["uri"] for m in org.memberships],
        "routing_forms": [f["uri"] for f in org.routing_forms],
        "event_types": [t["uri"] for t in data.event_types],
        "user_availability_schedules": [s["uri"] for s in org.schedules],
    }


def _strings(emulator: CalendlyEmulator, path: str, name: str) -> list[str]:
    """Plausible values of a free ``str`` parameter (some matching, some not)."""
    data, org = emulator.data, emulator.organization
    invitees = [i for items in data.invitees.values() for i in items]
    by_name = {
        "invitee_email": [i["email"] for i in invitees[:5]],
        "email": [i["email"] for i in invitees[:5]] + [m["user"]["email"] for m in org.memberships],
        "namespace": sorted({e["namespace"] for e in org.activity}),
        "action": sorted({e["action"] for e in org.activity}),
        "search_term": ["User", "Added -Group", '"Talk to sales"', "Created / Removed", "acme*"],
    }
    return [*by_name.get(name, []), "nobody@nowhere.example"]


def _valid(draw: st.DrawFn, emulator: CalendlyEmulator, path: str, name: str, kind: str) -> str:
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "count":
        return str(draw(st.sampled_from([1, 3, 20, 100])))
    if kind == "ts":
        starts = sorted(e["start_time"] for e in emulator.data.scheduled_events.values())
        lo = datetime.fromisoformat(starts[0].replace("Z", "+00:00")) - timedelta(days=400)
        hi = datetime.fromisoformat(starts[-1].replace("Z", "+00:00"))
        return _iso(draw(st.datetimes(min_value=lo.replace(tzinfo=None), max_value=hi.replace(tzinfo=None))))
    if kind.startswith("enum:"):
        return draw(st.sampled_from(kind[5:].split("|")))
    if kind.startswith("ref:"):
        return draw(st.sampled_from(_pools(emulator)[kind[4:]]))
    if kind.startswith("list:"):
        return ",".join(_valid(draw, emulator, path, name, kind[5:]) for _ in range(draw(st.integers(1, 2))))
    if kind.startswith("sort:"):
        fields = draw(st.lists(st.sampled_from(kind[5:].split("|")), min_size=1, unique=True))
        return ",".join(f"{f}:{draw(st.sampled_from(['asc', 'desc']))}" for f in fields)
    return draw(st.sampled_from(_strings(emulator, path, name)))


def _invalid(draw: st.DrawFn, kind: str) -> str | None:
    """An invalid value of a parameter of ``kind``, or ``None`` when Calendly takes any string."""
    if kind.startswith("enum:"):
        return "bogus"
    if kind.startswith("sort:"):
        field = kind[5:].split("|")[0]
        return draw(st.sampled_from(["bogus:asc", f"{field}:up", field, f"{field}:asc,{field}:desc"]))
    base = "ref" if kind.startswith(("ref:", "list:ref:")) else kind
    return draw(st.sampled_from(INVALID[base])) if base in INVALID else None


@st.composite
def _query(draw: st.DrawFn, emulator: CalendlyEmulator, path: str) -> tuple[dict[str, str], set[str]]:
    """A query of documented parameters and the names given invalid values."""
    rule = LIST_PARAMETERS[path]
    query: dict[str, str] = {}
    invalid: set[str] = set()
    must = set(REQUIRED.get(path, ()))
    if path in ONE_OF:
        must.add(draw(st.sampled_from(ONE_OF[path])))
    for name, kind in rule.items():
        if name == "page_token":
            continue
        present = name in must or draw(st.booleans())
        bad = _invalid(draw, kind) if present and draw(st.integers(0, 7)) == 0 else None
        if bad is not None:
            query[name] = bad
            invalid.add(name)
        elif present:
            query[name] = _valid(draw, emulator, path, name, kind)
    schedule = query.get("user_availability_schedule")
    if schedule and "user_availability_schedule" not in invalid and "user" not in invalid:
        # Only valid together with ``user``: the schedule's own user (its event types follow it) or another.
        owner = next(s["user"] for s in emulator.organization.schedules if s["uri"] == schedule)
        query["user"] = owner if draw(st.booleans()) else _valid(draw, emulator, path, "user", "ref:users")
    scope = query.get("scope") if path == "/webhook_subscriptions" else None
    if scope in {"user", "group"} and scope not in query:  # that scope requires its user or group
        query[scope] = _valid(draw, emulator, path, scope, f"ref:{scope}s")
    if "page_token" in rule and draw(st.integers(0, 9)) == 0:
        query["page_token"] = "%%%"
        invalid.add("page_token")
    return query, invalid


# --- what a valid answer must be -------------------------------------------------------------------------------


def _hosts(event: dict[str, Any]) -> set[str]:
    return {m["user"] for m in event["event_memberships"]}


def _checks(emulator: CalendlyEmulator, path: str) -> dict[str, Callable[[dict[str, Any], str], bool]]:
    """What each filter means, checked on every item returned."""
    data, org = emulator.data, emulator.organization

    def when(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    def invitee_emails(event: dict[str, Any]) -> set[str]:
        return {i["email"] for i in data.invitees[event["uri"].rsplit("/", 1)[-1]]}

    return {
        "/event_types": {
            "active": lambda i, v: i["active"] == (v == "true"),
            "admin_managed": lambda i, v: i["admin_managed"] == (v == "true"),
            "user": lambda i, v: i["profile"]["owner"] == v,
            "user_availability_schedule": lambda i, v: org.default_schedule(i["profile"]["owner"]) == v,
        },
        "/scheduled_events": {
            "status": lambda i, v: i["status"] == v,
            "min_start_time": lambda i, v: when(i["start_time"]) >= when(v),
            "max_start_time": lambda i, v: when(i["start_time"]) < when(v),
            "user": lambda i, v: v in _hosts(i),
            "group": lambda i, v: bool(_hosts(i) & (org.group_users(v) or set())),
            "invitee_email": lambda i, v: v in invitee_emails(i),
        },
        "/scheduled_events/*/invitees": {
            "status": lambda i, v: i["status"] == v,
            "email": lambda i, v: i["email"] == v,
        },
        "/organization_memberships": {
            "role": lambda i, v: i["role"] == v,
            "email": lambda i, v: i["user"]["email"] == v,
            "user": lambda i, v: i["user"]["uri"] == v,
        },
        "/group_relationships": {
            "group": lambda i, v: i["group"] == v,
            "owner": lambda i, v: i["owner"]["uri"] == v,
        },
        "/activity_log_entries": {
            "namespace": lambda i, v: i["namespace"] in v.split(","),
            "action": lambda i, v: i["action"] in v.split(","),
            "actor": lambda i, v: i["actor"]["uri"] in v.split(","),
            "min_occurred_at": lambda i, v: when(i["occurred_at"]) >= when(v),
            "max_occurred_at": lambda i, v: when(i["occurred_at"]) < when(v),
        },
        "/webhook_subscriptions": {
            "scope": lambda i, v: i["scope"] == v,
        },
        "/organizations/*/invitations": {
            "status": lambda i, v: i["status"] == v,
            "email": lambda i, v: i["email"].lower() == v.lower(),
        },
    }.get(path, {})


def _in_order(a: dict[str, Any], b: dict[str, Any], sort: str) -> bool:
    """Whether ``a`` may come before ``b`` in ``sort`` order (a missing value sorts after any other, ascending)."""
    for part in sort.split(","):
        name, _, direction = part.partition(":")
        x, y = (a.get(name) is None, a.get(name)), (b.get(name) is None, b.get(name))
        if x != y:
            return (x < y) != (direction == "desc")
    return True


def _url(emulator: CalendlyEmulator, path: str) -> str:
    if path.startswith("/organizations/*"):
        path = path.replace("*", emulator.data.organization["uri"].rsplit("/", 1)[-1])
    if "*" in path:
        event = next(e for e in emulator.state.events_by_start() if e["invitees_counter"]["total"] > 1)
        path = path.replace("*", event["uri"].rsplit("/", 1)[-1])
    return f"{emulator.base_url}{path}"


@pytest.mark.parametrize("path", sorted(LIST_PARAMETERS))
def test_every_documented_parameter_answers_as_calendly_does(
    emulator: CalendlyEmulator, session: requests.Session, path: str
) -> None:
    checks = _checks(emulator, path)
    sortable = "sort" in LIST_PARAMETERS[path]
    paged = "page_token" in LIST_PARAMETERS[path]

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(drawn=_query(emulator, path))
    def walk(drawn: tuple[dict[str, str], set[str]]) -> None:
        query, invalid = drawn
        response = session.get(_url(emulator, path), params=query)
        if invalid:
            assert response.status_code == 400, (query, response.text)
            assert {d.get("parameter") for d in response.json()["details"]} & invalid, (query, response.text)
            return
        assert response.status_code == 200, (query, response.text)
        items, seen = [], set()
        body = response.json()
        for _ in range(40):
            if paged:
                assert page_violations(SCHEMA_OF[path], body) == [], (query, body)
            else:  # one call returns them all (Calendly's reference: no count, no page_token)
                assert [v for i in body["collection"] for v in violations(SCHEMA_OF[path], i)] == [], (query, body)
            for item in body["collection"]:
                assert item["uri"] not in seen, (query, item["uri"])
                seen.add(item["uri"])
                items.append(item)
                for name, holds in checks.items():
                    assert name not in query or holds(item, query[name]), (query, name, item)
            token = (body.get("pagination") or {}).get("next_page_token")
            if not token:
                break
            body = session.get(_url(emulator, path), params={**query, "page_token": token}).json()
        if sortable:
            sort = query.get("sort") or DEFAULT_SORT.get(path, f"{LIST_PARAMETERS[path]['sort'][5:].split('|')[0]}:asc")
            assert all(_in_order(a, b, sort) for a, b in itertools.pairwise(items)), (query, sort)

    walk()


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_event_types_sort_by_position_either_way(
    emulator: CalendlyEmulator, session: requests.Session, direction: str
) -> None:
    """``position`` is a number: the sort that answered 500 for Airbyte's source-calendly."""
    params = {"organization": emulator.data.organization["uri"], "sort": f"position:{direction}", "count": 3}
    positions: list[int] = []
    token = None
    while True:
        body = session.get(
            f"{emulator.base_url}/event_types", params={**params, **({"page_token": token} if token else {})}
        )
        assert body.status_code == 200, body.text
        positions += [t["position"] for t in body.json()["collection"]]
        token = body.json()["pagination"]["next_page_token"]
        if not token:
            break
    assert positions == sorted(positions, reverse=direction == "desc")
    assert len(positions) == emulator.count_event_types()
