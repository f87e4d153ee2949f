"""``python -m airflow_provider_calendly.webhooks`` serves the receiver standalone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import requests

from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests import processes
from tests.webhooks.conftest import SIGNING_KEY, envelope, signed


def test_standalone_receiver_stores_a_signed_delivery(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "CALENDLY_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "AIRFLOW_CONN_INBOX": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "inbox.db")}),
    }
    args = ["--port", str(port), "--inbox-conn-id", "inbox", "--log-level", "info"]
    server = processes.spawn(
        [sys.executable, "-m", "airflow_provider_calendly.webhooks", *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        # The banner is printed once the socket listens: requests queue from then on.
        banner = next(line for line in server.stdout if line.startswith("Calendly webhook receiver on"))
        assert banner.strip() == f"Calendly webhook receiver on http://127.0.0.1:{port}/calendly/webhooks"
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep the pipe drained
        body, headers = signed(envelope())
        response = requests.post(f"http://127.0.0.1:{port}/calendly/webhooks", data=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        assert requests.post(f"http://127.0.0.1:{port}/calendly/webhooks", data=body, timeout=10).status_code == 401
    finally:
        processes.stop(server)
    assert WebhookInbox(f"sqlite:///{tmp_path / 'inbox.db'}").count() == 1
    assert SIGNING_KEY not in " ".join(server.args)
