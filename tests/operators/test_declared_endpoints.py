"""Every operator, run against the emulator, calls only the endpoints ``airflow_provider_calendly.scopes`` says it
calls (so the README's scope table, derived from that, is true); the new operators check what they can when a
DAG is parsed, and the deletions refuse to run without ``confirm=True``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.availability import (
    CalendlyUpdateEventTypeAvailabilityOperator,
    CalendlyUpdateMeetingLimitsOperator,
)
from airflow_provider_calendly.operators.calendly import (
    CalendlyBookMeetingOperator,
    CalendlyCancelEventOperator,
    CalendlyCreateSchedulingLinkOperator,
    CalendlyDeleteEventDataOperator,
    CalendlyDeleteInviteeDataOperator,
    CalendlyGetEventTypeOperator,
    CalendlyListAvailableTimesOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)
from airflow_provider_calendly.operators.event_types import (
    CalendlyCreateEventTypeOperator,
    CalendlyCreateOneOffEventTypeOperator,
    CalendlyUpdateEventTypeOperator,
)
from airflow_provider_calendly.operators.organization import (
    CalendlyInviteUserOperator,
    CalendlyRevokeInvitationOperator,
)
from airflow_provider_calendly.operators.webhooks import (
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyDeleteWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.scopes import OPERATOR_ENDPOINTS
from airflow_provider_calendly.testing import CalendlyEmulator
from tests.harness.scopes import undeclared_calls

HOURS = [{"type": "wday", "wday": "friday", "intervals": [{"from": "13:00", "to": "17:00"}]}]


def _invitee(em: CalendlyEmulator) -> str:
    return str(next(i for items in em.data.invitees.values() for i in items if i["no_show"] is None)["uri"])


def _solo(em: CalendlyEmulator) -> str:
    return str(next(e for e in em.data.event_types if e["kind"] == "solo" and e["active"])["uri"])


def _future(em: CalendlyEmulator) -> str:
    start = (em.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    event, _ = em.book(start_time=start)
    return str(event["uri"])


def _slot(em: CalendlyEmulator) -> str:
    event_type = next(e for e in em.data.event_types if e["active"])
    start = em.now() + timedelta(days=1)
    return em.actions.free_slots(event_type, start, start + timedelta(days=7))[0].isoformat()


GROUP = {"scope": "group", "url": "https://hooks.example/team"}
#: Each operator, built from the emulator's data (enterprise plan, so the deletions are answered).
OPERATORS: dict[str, Callable[[CalendlyEmulator], Any]] = {
    "CalendlyListEventTypesOperator": lambda em: CalendlyListEventTypesOperator(task_id="t"),
    "CalendlyGetEventTypeOperator": lambda em: CalendlyGetEventTypeOperator(task_id="t", event_type=_solo(em)),
    "CalendlyMarkNoShowOperator": lambda em: CalendlyMarkNoShowOperator(task_id="t", invitee_uri=_invitee(em)),
    "CalendlyUndoNoShowOperator": lambda em: CalendlyUndoNoShowOperator(task_id="t", invitee_uri=_invitee(em)),
    "CalendlyCancelEventOperator": lambda em: CalendlyCancelEventOperator(task_id="t", event=_future(em)),
    "CalendlyCreateSchedulingLinkOperator": lambda em: CalendlyCreateSchedulingLinkOperator(
        task_id="t", event_type=_solo(em)
    ),
    "CalendlyListAvailableTimesOperator": lambda em: CalendlyListAvailableTimesOperator(
        task_id="t", event_type=_solo(em), start=em.now(), end=em.now() + timedelta(days=40)
    ),
    "CalendlyBookMeetingOperator": lambda em: CalendlyBookMeetingOperator(
        task_id="t",
        event_type=next(e for e in em.data.event_types if e["active"])["uri"],
        start_time=_slot(em),
        invitee={"name": "Ada", "email": "ada@example.org", "timezone": "UTC"},
    ),
    "CalendlyDeleteInviteeDataOperator": lambda em: CalendlyDeleteInviteeDataOperator(
        task_id="t", emails=["nobody@example.org"], confirm=True
    ),
    "CalendlyDeleteEventDataOperator": lambda em: CalendlyDeleteEventDataOperator(
        task_id="t", start=em.now() - timedelta(days=60), end=em.now() - timedelta(days=30), confirm=True
    ),
    "CalendlyEnsureWebhookSubscriptionOperator": lambda em: CalendlyEnsureWebhookSubscriptionOperator(
        task_id="t", group=em.organization.groups[0]["uri"], sign=False, **GROUP
    ),
    "CalendlyCheckWebhookSubscriptionOperator": lambda em: CalendlyCheckWebhookSubscriptionOperator(
        task_id="t", group=_subscribed_group(em), **GROUP
    ),
    "CalendlyDeleteWebhookSubscriptionOperator": lambda em: CalendlyDeleteWebhookSubscriptionOperator(
        task_id="t", group=_subscribed_group(em), **GROUP
    ),
    "CalendlyInviteUserOperator": lambda em: CalendlyInviteUserOperator(
        task_id="t", invitee_email="joiner@new.example"
    ),
    "CalendlyRevokeInvitationOperator": lambda em: CalendlyRevokeInvitationOperator(
        task_id="t", invitee_email="new.hire@acme.example"
    ),
    "CalendlyCreateEventTypeOperator": lambda em: CalendlyCreateEventTypeOperator(
        task_id="t", name="Made by a DAG", fields={"duration": 25, "color": "#00aa55"}
    ),
    "CalendlyUpdateEventTypeOperator": lambda em: CalendlyUpdateEventTypeOperator(
        task_id="t", event_type=_solo(em), fields={"name": "Renamed", "duration_options": [15, 30], "duration": 15}
    ),
    "CalendlyCreateOneOffEventTypeOperator": lambda em: CalendlyCreateOneOffEventTypeOperator(
        task_id="t", name="Coffee", duration=20, date_setting={"type": "days_in_future", "days": 3}, retries=0
    ),
    "CalendlyUpdateEventTypeAvailabilityOperator": lambda em: CalendlyUpdateEventTypeAvailabilityOperator(
        task_id="t", event_type=_solo(em), rules=HOURS, timezone="America/New_York"
    ),
    "CalendlyUpdateMeetingLimitsOperator": lambda em: CalendlyUpdateMeetingLimitsOperator(
        task_id="t", limits={"daily_limit": 3, "monthly_limit": None}
    ),
}


def _subscribed_group(em: CalendlyEmulator) -> str:
    group = str(em.organization.groups[0]["uri"])
    em.webhooks.subscribe(GROUP["url"], ["invitee.created"], scope="group", group=group)
    return group


@pytest.mark.parametrize("name", sorted(OPERATOR_ENDPOINTS))
def test_each_operator_calls_only_what_it_declares(
    name: str, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    em = calendly_emulator
    em.data.organization["plan"] = "enterprise"
    operator = OPERATORS[name](em)
    em.reset_stats()
    result = operator.execute({"ti": None})
    calls = em.requests
    assert calls and all(200 <= r.status < 300 for r in calls), [(r.method, r.path, r.status) for r in calls]
    assert undeclared_calls(calls, OPERATOR_ENDPOINTS[name]) == []
    assert result is not None


def test_the_new_operators_check_what_they_can_when_a_dag_is_parsed() -> None:
    with pytest.raises(CalendlyConfigError, match="duration"):
        CalendlyCreateEventTypeOperator(task_id="t", name="X", fields={"duration": 721})
    with pytest.raises(CalendlyConfigError, match="unknown event type field"):
        CalendlyUpdateEventTypeOperator(task_id="t", event_type="ET1", fields={"owner": "U1"})
    with pytest.raises(CalendlyConfigError, match="wday"):
        CalendlyUpdateEventTypeAvailabilityOperator(
            task_id="t", event_type="ET1", rules=[{"type": "wday"}], timezone="UTC"
        )
    with pytest.raises(CalendlyConfigError, match="1 to 9999"):
        CalendlyUpdateMeetingLimitsOperator(task_id="t", limits={"weekly_limit": 10_000})
    with pytest.raises(CalendlyConfigError, match="exactly one"):
        CalendlyRevokeInvitationOperator(task_id="t")
    with pytest.raises(CalendlyConfigError, match="CalendlyDeleteEventDataOperator deletes data irreversibly"):
        CalendlyDeleteEventDataOperator(task_id="t", start="2024-01-01", end="2024-02-01")
    with pytest.raises(CalendlyConfigError, match="scope"):
        CalendlyCheckWebhookSubscriptionOperator(task_id="t", url="https://h.example", scope="team")
    # A template is checked once rendered, at execute.
    templated = CalendlyUpdateMeetingLimitsOperator(task_id="t", limits={"daily_limit": "{{ params.limit }}"})
    assert templated.limits == {"daily_limit": "{{ params.limit }}"} and "limits" in templated.template_fields
