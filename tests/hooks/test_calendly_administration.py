"""Hook methods for the organization's administration, availability, locations, communications, event type writes
and group-scoped webhooks, over real HTTP to the emulator: each write takes effect once however its answer is
lost, bad arguments are refused before any call, and answers of either shape the reference allows are read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from tests.conftest import FakeClock

WEEKDAY = [{"type": "wday", "wday": "monday", "intervals": [{"from": "09:00", "to": "12:00"}]}]


@pytest.fixture
def hook(calendly_conn: str, fake_clock: FakeClock) -> CalendlyHook:
    return CalendlyHook(calendly_conn, clock=fake_clock, sleep=fake_clock.sleep)


def _calls(emulator: CalendlyEmulator, method: str, prefix: str) -> list[int]:
    return [r.status for r in emulator.requests if r.method == method and r.path.startswith(prefix)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda h, now: list(h.list_user_busy_times(start_time=now, end_time=now - timedelta(days=1))), "after"),
        (
            lambda h, now: list(
                h.list_user_busy_times(start_time=now - timedelta(days=3), end_time=now - timedelta(days=1))
            ),
            "past",
        ),
        (lambda h, now: h.invite_user("not an email"), "email"),
        (lambda h, now: h.revoke_invitations(), "exactly one"),
        (lambda h, now: h.ensure_event_type("X", duration=0), "duration"),
        (lambda h, now: h.ensure_event_type("X", duration=30, duration_options=[15, 45]), "one of duration_options"),
        (lambda h, now: h.ensure_event_type("X", colour="#ffffff"), "unknown event type field"),
        (lambda h, now: h.update_event_type("ET1"), "at least one"),
        (lambda h, now: h.update_event_type("ET1", before_buffer=7), "before_buffer"),
        (lambda h, now: h.create_one_off_event_type("x" * 56, duration=30, date_setting={"type": "date_range"}), "55"),
        (
            lambda h, now: h.create_one_off_event_type(
                "x",
                duration=30,
                date_setting={"type": "date_range", "start_date": "2026-12-05", "end_date": "2026-12-01"},
            ),
            "date_range",
        ),
        (
            lambda h, now: h.update_event_type_availability(
                "ET1", rules=[{"type": "wday", "wday": "funday"}], timezone="UTC"
            ),
            "wday",
        ),
        (lambda h, now: h.update_event_type_availability("ET1", rules=WEEKDAY, timezone="Mars/Olympus"), "IANA"),
        (lambda h, now: h.update_user_meeting_limits({}), "at least one"),
        (lambda h, now: h.update_user_meeting_limits({"daily_limit": 0}), "1 to 9999"),
        (lambda h, now: h.update_user_meeting_limits({"yearly_limit": 3}), "unknown meeting limit"),
        (lambda h, now: h.delete_scheduled_event_data(now - timedelta(days=1), now + timedelta(days=1)), "past"),
        (lambda h, now: h.delete_scheduled_event_data(now - timedelta(days=800), now - timedelta(days=1)), "24 months"),
        (
            lambda h, now: h.ensure_webhook_subscription("https://h.example/in", ["invitee.created"], scope="group"),
            "group",
        ),
        (lambda h, now: h.list_webhook_subscriptions(scope="team"), "scope"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator, call: Any, message: str
) -> None:
    hook.get_current_user()
    calendly_emulator.reset_stats()
    with pytest.raises(CalendlyConfigError, match=message):
        call(hook, calendly_emulator.now())
    assert calendly_emulator.count() == 0


def test_busy_times_are_split_by_seven_days_from_now_and_yielded_once(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em, now = calendly_emulator, calendly_emulator.now()
    user = em.data.users[0]["uri"]
    busy = list(hook.list_user_busy_times(start_time=now - timedelta(days=2), end_time=now + timedelta(days=16)))
    calls = [r.query for r in em.requests if r.path == "/user_busy_times"]
    assert len(calls) == 3 and calls[0]["start_time"] > now.isoformat()[:19]  # a past start moved to now
    expected = em.availability.busy_times(user, now + timedelta(seconds=1), now + timedelta(days=16))
    assert [(b.type, b.start_time, b.end_time) for b in busy] == [
        (e["type"], hook_time(e["start_time"]), hook_time(e["end_time"])) for e in expected
    ]
    # An interval two calls both return (it spans their boundary) comes once; stopping early costs no call.
    interval = {"type": "external", "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-09T10:00:00Z"}
    em.register_route("GET", "user_busy_times", lambda rest, query, body: (200, {"collection": [interval]}))
    em.reset_stats()
    assert len(list(hook.list_user_busy_times(user, start_time=now, end_time=now + timedelta(days=20)))) == 1
    assert em.count(path_prefix="/user_busy_times") == 3
    em.reset_stats()
    next(iter(hook.list_user_busy_times(user, start_time=now, end_time=now + timedelta(days=20))))
    assert em.count(path_prefix="/user_busy_times") == 1


def hook_time(value: str) -> Any:
    from airflow_provider_calendly.timestamps import parse_utc

    return parse_utc(value)


def test_an_invitation_is_sent_once_per_email_however_its_answer_is_lost(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em = calendly_emulator
    em.set_faults(drop_after_commit=1, path_prefix="/organizations")
    invitation, sent = hook.invite_user("Joiner@New.example")
    assert not sent and invitation.status == "pending"  # the dropped answer's invitation, found
    assert _calls(em, "POST", "/organizations") == [0]
    again, sent_again = hook.invite_user("joiner@new.example")
    assert (again.uri, sent_again) == (invitation.uri, False) and _calls(em, "POST", "/organizations") == [0]
    declined = next(i for i in em.administration.invitations if i["status"] == "declined")
    reinvited, sent = hook.invite_user(declined["email"])
    assert sent and reinvited.uri != declined["uri"]  # a declined invitation is invited again
    assert hook.revoke_invitations(email="joiner@new.example") == [invitation.uri]
    assert hook.revoke_invitations(invitation=invitation.uri) == []  # already revoked: done
    by_uuid = hook.revoke_invitations(invitation=reinvited.uuid)
    assert by_uuid == [reinvited.uri] and not any(i["uri"] == reinvited.uri for i in em.administration.invitations)


def test_an_event_type_is_created_once_and_updates_are_resent(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em = calendly_emulator
    em.set_faults(drop_after_commit=1, path_prefix="/event_types")
    made, created = hook.ensure_event_type("Office hours+", duration=20, locations=[{"kind": "zoom_conference"}])
    assert not created and made.duration == 20  # the POST whose answer was dropped had made it
    assert sum(e["name"] == "Office hours+" for e in em.data.event_types) == 1
    assert hook.ensure_event_type("Office hours+", duration=45) == (made, False)
    em.set_faults(drop_after_commit=1, path_prefix="/event_types")
    updated = hook.update_event_type(made.uri, duration=45, active=True, before_buffer=15)
    assert (updated.duration, updated.active, updated.before_buffer) == (45, True, 15)
    assert _calls(em, "PATCH", "/event_types") == [0, 200]  # setting values twice is harmless: resent


def test_availability_and_limits_read_either_answer_shape(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em = calendly_emulator
    event_type = next(e for e in em.data.event_types if e["kind"] == "solo")["uri"]
    schedule = hook.update_event_type_availability(event_type, rules=WEEKDAY, timezone="Europe/Paris")
    assert schedule.availability_rule is not None and schedule.availability_rule.timezone == "Europe/Paris"
    assert [r.wday for r in schedule.availability_rule.rules] == ["monday"]
    assert next(iter(hook.list_event_type_availability_schedules(event_type))) == schedule
    limits = hook.update_user_meeting_limits({"daily_limit": 5.0, "monthly_limit": None})
    assert (limits.daily_limit, limits.weekly_limit, limits.monthly_limit) == (5, None, None)
    # The reference does not say what a PATCH answers: a one-item collection, or nothing (then it is read).
    em.register_route(
        "PATCH",
        "user_meeting_limits",
        lambda rest, query, body: (200, {"collection": [{**body, "user": query["user"]}]}),
    )
    assert hook.update_user_meeting_limits({"weekly_limit": 20}).weekly_limit == 20
    em.register_route("PATCH", "user_meeting_limits", lambda rest, query, body: (204, None))
    em.register_route("PATCH", "event_type_availability_schedules", lambda rest, query, body: (204, None))
    em.reset_stats()
    assert hook.update_user_meeting_limits({"weekly_limit": 20}) == hook.get_user_meeting_limits()
    assert hook.update_event_type_availability(event_type, rules=WEEKDAY, timezone="Europe/Paris") == schedule
    assert _calls(em, "GET", "/user_meeting_limits") == [200, 200] and _calls(em, "GET", "/event_type_av") == [200]


def test_group_scoped_subscriptions_and_their_sample_deliveries(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em = calendly_emulator
    group = em.organization.groups[0]["uri"]
    url = "https://hooks.example/team"
    ensured = hook.ensure_webhook_subscription(url, ["invitee.created"], scope="group", group=group)
    assert ensured.created and ensured.subscription.group == group and ensured.subscription.scope == "group"
    assert not hook.ensure_webhook_subscription(url, ["invitee.created"], scope="group", group=group).created
    organization_wide = hook.ensure_webhook_subscription(url, ["invitee.created"])  # same URL, another scope
    assert organization_wide.created and organization_wide.subscription.uri != ensured.subscription.uri
    assert hook.check_webhook_subscription(url, scope="group", group=group).uri == ensured.subscription.uri
    sample = hook.get_sample_webhook_data("invitee.canceled", scope="group", group=group)
    assert sample["event"] == "invitee.canceled" and sample["payload"]["scheduled_event"]["uri"]
    assert hook.delete_webhook_subscriptions(url=url, scope="group", group=group) == [ensured.subscription.uri]
    assert [s.uri for s in hook.list_webhook_subscriptions()] == [organization_wide.subscription.uri]
    em.register_route("GET", "sample_webhook_data", lambda rest, query, body: (200, {"resource": {"event": "x.y"}}))
    assert hook.get_sample_webhook_data("invitee.created") == {"event": "x.y"}  # a wrapped answer is unwrapped


def test_event_data_deletion_is_resent_after_a_lost_answer(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    em, now = calendly_emulator, calendly_emulator.now()
    em.data.organization["plan"] = "enterprise"
    em.set_faults(drop_after_commit=1, path_prefix="/data_compliance")
    sent = hook.delete_scheduled_event_data(now - timedelta(days=90), now - timedelta(days=60))
    assert sent["end_time"] < now.isoformat() and len(em.actions.event_deletion_requests) == 2
    assert _calls(em, "POST", "/data_compliance") == [0, 202]
    assert not [
        e for e in em.data.scheduled_events.values() if sent["start_time"] <= e["start_time"] < sent["end_time"]
    ]
