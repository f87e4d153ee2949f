"""The client without Airflow: settings given directly, every area reachable, identity against the base URL."""

from __future__ import annotations

import pytest

from airflow_provider_calendly.client import CalendlyClient, CalendlySettings
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.uris import CANONICAL_API_URL


def _client(emulator: CalendlyEmulator) -> CalendlyClient:
    return CalendlyClient(CalendlySettings(token=emulator.token, base_url=emulator.base_url))


def test_client_needs_no_airflow_connection(calendly_emulator: CalendlyEmulator) -> None:
    client = _client(calendly_emulator)
    assert {e.uri for e in client.list_event_types()} == {e["uri"] for e in calendly_emulator.data.event_types}
    assert client.get_current_user().uri == calendly_emulator.data.users[0]["uri"]
    assert calendly_emulator.token not in repr(client) + str(client.__dict__)
    client.close()


def test_client_and_hook_offer_the_same_methods() -> None:
    public = {name for name in dir(CalendlyClient) if not name.startswith("_")}
    assert public <= {name for name in dir(CalendlyHook) if not name.startswith("_")}
    assert {"list_event_types", "cancel_scheduled_event", "book_meeting", "ensure_webhook_subscription"} <= public


def test_the_current_organization_is_looked_up_once(calendly_emulator: CalendlyEmulator) -> None:
    client = _client(calendly_emulator)
    organization = calendly_emulator.data.organization["uri"]
    assert client.organization_uri() == organization
    list(client.list_groups())
    list(client.list_webhook_subscriptions())
    assert calendly_emulator.count(path_prefix="/users/me") == 1
    uuid = organization.rsplit("/", 1)[-1]
    assert client.organization_uri(uuid) == client.organization_uri(
        f"{calendly_emulator.base_url}/organizations/{uuid}"
    )


def test_identity_is_canonical_whatever_form_it_is_given(calendly_emulator: CalendlyEmulator) -> None:
    identity = _client(calendly_emulator).identity
    canonical = f"{CANONICAL_API_URL}/scheduled_events/E1"
    for given in ("E1", canonical, f"{calendly_emulator.base_url}/scheduled_events/E1"):
        assert identity.uri("scheduled_events", given) == canonical
        assert identity.path("scheduled_events", given) == "/scheduled_events/E1"
    invitee = f"{CANONICAL_API_URL}/scheduled_events/E1/invitees/I1"
    assert identity.invitee_uri("E1", "I1") == identity.invitee_uri(invitee) == invitee
    with pytest.raises(CalendlyConfigError, match="refusing to send the token"):
        identity.uri("scheduled_events", "https://evil.example/scheduled_events/E1")
