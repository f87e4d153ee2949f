"""What a newcomer meets first: the emulator's command line, an email-only booking, a host without a scheme."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from airflow_provider_calendly.exceptions import CalendlyConnectionError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator


def test_emulator_help_describes_every_option_without_a_runtime_warning() -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "airflow_provider_calendly.testing.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" not in proc.stderr
    for option, words in {"--port": "port to listen on", "--seed": "same seed", "--token": "accepts"}.items():
        line = next(row for row in proc.stdout.splitlines() if row.strip().startswith(option))
        assert words in proc.stdout, f"{option} has no description: {line!r}"


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("ada.lovelace@example.com", "Ada Lovelace"),
        ("grace_hopper@example.com", "Grace Hopper"),
        ("linus@x.io", "Linus"),
    ],
)
def test_a_booking_with_an_email_only_is_named_after_the_email(email: str, name: str) -> None:
    with CalendlyEmulator(seed=1, scheduled_events=5) as emulator:
        _event, invitee = emulator.book(invitee_email=email)
    assert (invitee["email"], invitee["name"]) == (email, name)
    assert invitee["first_name"] == name.split()[0]


def test_a_host_without_a_scheme_on_a_plain_http_server_fails_at_once_naming_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with CalendlyEmulator(seed=1, scheduled_events=5) as emulator:
        host, port = emulator.base_url.removeprefix("http://").rsplit(":", 1)
        monkeypatch.setenv(
            "AIRFLOW_CONN_CALENDLY_NOSCHEME",
            json.dumps({"conn_type": "calendly", "host": host, "port": int(port), "password": emulator.token}),
        )
        hook = CalendlyHook("calendly_noscheme")
        started = time.monotonic()
        with pytest.raises(CalendlyConnectionError) as caught:
            hook.get_current_user()
        assert time.monotonic() - started < 5, "a TLS handshake failure must not be retried"
        assert hook.call_count == 1
        ok, message = hook.test_connection()
    text = str(caught.value)
    assert f"https://{host}:{port}/users/me" in text
    assert f"http://{host}:{port}" in text.split("not retried", 1)[1]
    assert not ok and "TLS handshake" in message
    assert emulator.token not in text


def test_extra_fields_left_empty_in_the_ui_mean_the_code_defaults() -> None:
    """The UI stores an empty extra field as "": the connection then behaves like one without the key."""
    from airflow.models import Connection

    from airflow_provider_calendly.hooks.calendly import CalendlySettings

    blank = Connection(
        conn_id="ui",
        conn_type="calendly",
        password="tok-12345",
        extra=json.dumps({"rate_limit": "", "rate_limit_period": "", "timeout": " ", "max_retries": None}),
    )
    bare = Connection(conn_id="ui", conn_type="calendly", password="tok-12345")
    assert CalendlySettings.from_connection(blank) == CalendlySettings.from_connection(bare)
