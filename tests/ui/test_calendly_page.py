"""The provider's "Calendly" page, end to end: real syncs and deliveries, a real API server, Chromium.

One ``airflow api-server`` (SimpleAuthManager with users, plus a per-DAG rule: ``auth_manager.py``) shares this
test session's metadata database, so the syncs run here with ``dag.test()`` (the DAGs in ``dags/``, a DAG bundle
of their own) are what it shows. The emulator delivers webhooks to the server's receiver, into an inbox both
read. ``playwright/calendly_page.mjs`` logs in through Airflow's login form, opens the page from the UI's
navigation, watches a sync run and reports what the page showed; the tests compare it with the XCom summaries
and the inbox, and check who may see what. Screenshots land in ``tests/artifacts/ui/page/``; with
``CALENDLY_DOCS_SCREENSHOTS=1`` they are also copied to ``docs/images/`` (what the docs show).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import PROGRESS_XCOM_KEY
from airflow_provider_calendly.transfers.change_capture import FEED_EVENTS, RECAP_EVENTS
from airflow_provider_calendly.transfers.tables import TABLES
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from airflow_provider_calendly.webhooks.signature import sign
from tests import processes
from tests.conftest import REPO_ROOT
from tests.example_dags.helpers import xcom
from tests.ui.auth_manager import PRIVATE_PREFIX
from tests.ui.conftest import ARTIFACTS, PLAYWRIGHT_DIR, _airflow_env, _wait_healthy, browser_tools, free_port

pytestmark = pytest.mark.integration

TOKEN = "calendly-page-test-token"
SIGNING_KEY = "calendly-page-test-signing-key"
#: Airflow users (SimpleAuthManager) and their passwords; "nodags" has no role: it may log in, not read DAGs.
USERS = {"admin": "admin-password", "viewer": "viewer-password", "nodags": "nodags-password"}
SYNC_DAG, WEBHOOK_DAG, PRIVATE_DAG = (
    "calendly_page_sync",
    "calendly_page_webhooks",
    f"{PRIVATE_PREFIX}calendly_page_sync",
)
SYNC_KEY = f"{SYNC_DAG}.sync.-1"
DAG_FILE = Path(__file__).resolve().parent / "dags" / "calendly_page_dags.py"
SHOTS = ARTIFACTS / "page"
DOCS_IMAGES = REPO_ROOT / "docs" / "images"
#: The screenshots the docs show (docs/images/), from a run of this module alone (other tests' syncs would show).
DOCS_SHOTS = ("calendly-in-airflow.png", "calendly-running-sync.png", "calendly-page.png")
#: Stored in the private sync's summary, as a hostile writer could have: the page must show it as text.
HOSTILE_PREFIX = "<script>window.__calendly_pwned=3</script>"
HOSTILE_REASON = '<img src=x onerror="window.__calendly_pwned=4">'


@dataclass
class PageRun:
    """What the scenario did, and what the browser saw."""

    url: str
    emulator: CalendlyEmulator
    inbox: WebhookInbox
    summaries: list[dict[str, Any]] = field(default_factory=list)  # the watched sync's passes, oldest first
    run_ids: list[str] = field(default_factory=list)
    forged_status: int = 0
    seen: dict[str, Any] = field(default_factory=dict)

    def token(self, who: str) -> str:
        response = requests.post(f"{self.url}/auth/token", json={"username": who, "password": USERS[who]}, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["access_token"])

    def status(self, who: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        return requests.get(f"{self.url}/calendly-ui/api/status", headers=headers, timeout=60)


def _bundles() -> str:
    """This test's DAGs as a bundle of their own (``dag.test()`` runs bundled DAGs), before the default DAG folder
    (so that a first ``dag.test()`` finds them without parsing the example DAGs)."""
    local = "airflow.dag_processing.bundles.local.LocalDagBundle"
    return json.dumps(
        [
            {"name": "calendly-page-test", "classpath": local, "kwargs": {"path": str(DAG_FILE.parent)}},
            {"name": "dags-folder", "classpath": local, "kwargs": {}},
        ]
    )


def _dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def _line(proc: subprocess.Popen[str], deadline: float) -> str:
    """The next line the browser script prints (it must come before ``deadline``)."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                return proc.stdout.readline().strip()
    raise AssertionError("the browser script did not answer in time")


@pytest.fixture(scope="module")
def page_run(airflow_db: Path) -> Iterator[PageRun]:
    """Start the emulator and an API server, run syncs and deliveries, and watch the page in Chromium."""
    node = browser_tools()
    home = Path(tempfile.mkdtemp(prefix="calendly-page-airflow-home-"))
    emulator = CalendlyEmulator(seed=42, token=TOKEN, scheduled_events=40)
    emulator.start()
    emulator.organization.gate("activity_log", 403)  # the Enterprise-only log: a skipped resource on the page
    emulator.webhooks.retry_delays = (0.05, 0.1)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    shared = {
        "AIRFLOW_CONN_CALENDLY_DEFAULT": emulator.connection_json(
            webhook_signing_key=SIGNING_KEY, rate_limit=10_000, max_retries=5
        ),
        "AIRFLOW_CONN_CALENDLY_WEBHOOK_INBOX": json.dumps({"conn_type": "sqlite", "host": str(home / "inbox.db")}),
        "AIRFLOW_CONN_CALENDLY_PAGE_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(home / "wh.db")}),
        "CALENDLY_PAGE_CALLBACK": f"{url}/calendly/webhooks",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": _bundles(),
    }
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(USERS))
    env = {
        **_airflow_env(home),
        **shared,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],  # this session's
        "AIRFLOW__CORE__AUTH_MANAGER": "tests.ui.auth_manager.PrivateDagsAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer,nodags:",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "PYTHONPATH": str(REPO_ROOT),
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = SHOTS / "api-server.log"
    with pytest.MonkeyPatch.context() as mp, log.open("wb") as log_file:
        for name, value in shared.items():
            mp.setenv(name, value)
        server = processes.spawn(
            [sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        run = PageRun(url, emulator, WebhookInbox.from_conn_id("calendly_webhook_inbox"))
        try:
            sync = _dag(SYNC_DAG)
            first = sync.test()  # while the server starts: the first pass reads everything
            assert str(first.state) == "success"
            run.summaries.append(xcom(first, SYNC_DAG, "sync"))
            _wait_healthy(url, server, log)
            assert str(_dag(WEBHOOK_DAG).test().state) == "success"  # subscribe the receiver, then check it
            for email in ("page-a@example.com", "page-b@example.com", "page-c@example.com"):
                emulator.book(invitee_email=email)
            _, booked = emulator.book(invitee_email="page-d@example.com")
            emulator.cancel_invitee(booked["uri"], reason="double booked")
            body = json.dumps({"event": "invitee.created", "payload": {}}).encode()
            forged = {"Content-Type": "application/json", "Calendly-Webhook-Signature": sign("not-the-key", body)}
            run.forged_status = requests.post(
                f"{url}/calendly/webhooks", data=body, headers=forged, timeout=30
            ).status_code
            assert emulator.webhooks.wait_idle(timeout=30)
            second = sync.test()
            run.summaries.append(xcom(second, SYNC_DAG, "sync"))
            _run_private_sync()
            run.seen = _watch(node, run, sync)
            yield run
        finally:
            processes.stop(server)
            emulator.stop()
            shutil.rmtree(home, ignore_errors=True)


def _run_private_sync() -> None:
    """One pass of the private DAG, then its summary as a hostile writer could have stored it."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    dag_run = _dag(PRIVATE_DAG).test()
    assert str(dag_run.state) == "success"
    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=PRIVATE_DAG, task_ids="sync", key="return_value")
        row = session.scalars(query).one()
        summary = XComModel.deserialize_value(row)
        summary["warehouse"]["table_prefix"] = HOSTILE_PREFIX
        summary["skipped"] = {"routing_forms": {"status": 403, "reason": HOSTILE_REASON}}
        row.value = XComModel.serialize_value(summary)


def _watch(node: str, run: PageRun, sync: Any) -> dict[str, Any]:
    """Open the page in Chromium; run the last pass (slowed, with two 429s) while the browser watches it."""
    shutil.rmtree(SHOTS / "screens", ignore_errors=True)
    env = {
        **os.environ,
        "AIRFLOW_URL": run.url,
        "VIEWER_USER": "viewer",
        "VIEWER_PASSWORD": USERS["viewer"],
        "ADMIN_USER": "admin",
        "ADMIN_PASSWORD": USERS["admin"],
        "SYNC": SYNC_KEY,
        "ARTIFACT_DIR": str(SHOTS / "screens"),
    }
    script = PLAYWRIGHT_DIR / "calendly_page.mjs"
    browser = processes.spawn(
        [node, str(script)], cwd=PLAYWRIGHT_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        ready = _line(browser, deadline)
        assert ready == "ready", f"the browser script said {ready!r}"
        run.emulator.set_faults(latency=0.25, rate_limit_storm=2, path_prefix="/scheduled_events")
        try:
            last = sync.test()
        finally:
            run.emulator.clear_faults()
        run.summaries.append(xcom(last, SYNC_DAG, "sync"))
        run.run_ids.append(last.run_id)
        assert browser.stdin is not None
        browser.stdin.write("done\n")
        browser.stdin.flush()
        out, _ = browser.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        processes.stop(browser)
    seen: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    (SHOTS / "seen.json").write_text(json.dumps(seen, indent=2))
    assert "error" not in seen, f"browser script error (screenshots in {SHOTS}):\n{seen['error']}"
    if os.environ.get("CALENDLY_DOCS_SCREENSHOTS"):
        for path in map(Path, seen["screenshots"]):
            name = f"calendly-{path.name.split('-', 1)[1]}"
            if name in DOCS_SHOTS:
                shutil.copy(path, DOCS_IMAGES / name)
    return seen


def _number(text: str | None) -> int:
    assert text is not None
    return int(text.replace(",", "").split()[0])


# --- who may see the page -------------------------------------------------------------------------------------


def test_the_page_and_its_json_refuse_anonymous_and_unauthorised_users(page_run: PageRun) -> None:
    for path in ("/calendly-ui/", "/calendly-ui/api/status", "/calendly-ui/static/page.js"):
        anonymous = requests.get(f"{page_run.url}{path}", timeout=30)
        assert anonymous.status_code == 401, (path, anonymous.text)
        forged = requests.get(f"{page_run.url}{path}", headers={"Authorization": "Bearer not-a-jwt"}, timeout=30)
        assert forged.status_code == 403, (path, forged.text)
    assert page_run.status("nodags").status_code == 403  # logged in, but may read no DAG


def test_each_user_sees_only_the_dags_they_may_read(page_run: PageRun) -> None:
    viewer, admin = page_run.status("viewer"), page_run.status("admin")
    assert viewer.status_code == admin.status_code == 200
    (SHOTS / "status.json").write_text(json.dumps(viewer.json(), indent=2))  # for whoever debugs a failure
    assert viewer.headers["content-type"].startswith("application/json")
    assert "default-src 'none'" in viewer.headers["content-security-policy"]
    seen_by = {who: {s["dag_id"] for s in r.json()["syncs"]} for who, r in (("viewer", viewer), ("admin", admin))}
    assert SYNC_DAG in seen_by["viewer"] and PRIVATE_DAG not in seen_by["viewer"]
    assert {SYNC_DAG, PRIVATE_DAG} <= seen_by["admin"]
    assert PRIVATE_DAG not in json.dumps(viewer.json())
    assert set(page_run.seen["viewer"]["syncs"]) >= {SYNC_KEY}
    assert not any(key.startswith(PRIVATE_PREFIX) for key in page_run.seen["viewer"]["syncs"])
    assert f"{PRIVATE_DAG}.sync.-1" in page_run.seen["admin"]["syncs"]


def test_only_the_pages_own_files_are_served(page_run: PageRun) -> None:
    headers = {"Authorization": f"Bearer {page_run.token('viewer')}"}
    served = requests.get(f"{page_run.url}/calendly-ui/static/vendor/chart.umd.min.js", headers=headers, timeout=30)
    assert served.status_code == 200 and served.text.startswith("/*!\n * Chart.js")
    for probe in ("static/../app.py", "static/%2e%2e/app.py", "static/..%2fstatus.py", "static/vendor"):
        assert requests.get(f"{page_run.url}/calendly-ui/{probe}", headers=headers, timeout=30).status_code == 404


def test_the_webhook_receiver_stays_public_and_signed(page_run: PageRun) -> None:
    assert requests.get(f"{page_run.url}/calendly/webhooks/health", timeout=30).status_code == 200
    assert page_run.forged_status == 401  # a bad signature is refused…
    assert page_run.inbox.count() > 0  # …and Calendly's signed deliveries got in without any Airflow login


# --- what the page shows --------------------------------------------------------------------------------------


def test_the_navigation_opens_the_page_in_the_ui(page_run: PageRun) -> None:
    nav = page_run.seen["nav"]
    assert nav["href"].endswith("plugin/calendly"), nav
    assert nav["frame_url"] == f"{page_run.url}/calendly-ui/"
    assert page_run.seen["console"] == []  # no script error, no Content-Security-Policy violation


def test_the_numbers_are_the_xcom_summaries(page_run: PageRun) -> None:
    last = page_run.summaries[-1]
    shown = page_run.seen["viewer"]["syncs"][SYNC_KEY]
    facts = shown["facts"]
    assert _number(facts["api-calls"]) == last["api_calls"]
    reads = last["invitee_reads"]
    assert _number(facts["saved-reconcile"]) == reads["calls_saved"] - reads.get("covered_by_feed", 0)
    assert _number(facts["saved-feed"]) == reads.get("covered_by_feed", 0)
    assert _number(facts["responses-429"]) == last["rate_limit"]["responses_429"] == 2
    assert last["rate_limit"]["waited_seconds"] >= 2.0  # the two 429s said: come back in 1 s
    assert shown["tables"].keys() == last["tables"].keys() <= TABLES.keys()
    for key, table in last["tables"].items():
        expected = {name: table[name] for name in ("inserted", "changed", "unchanged", "deleted", "api_calls")}
        assert shown["tables"][key] == expected, key
    # A re-read that found nothing new says so (the "195 updated when 0 changed").
    assert last["tables"]["scheduled_events"]["unchanged"] > 0
    assert shown["skipped"] == ["activity_log"]
    assert shown["feed"].startswith("Webhook feed gap-free")
    assert shown["warehouse"] == "calendly_page_warehouse · sqlite · calendly_*"
    assert [p["run_id"] for p in shown["passes"]][:1] == page_run.run_ids
    assert all(p["state"] == "success" for p in shown["passes"])
    dag_id, run_id = SYNC_DAG, page_run.run_ids[0]
    assert shown["passes"][0]["links"] == [
        f"../dags/{dag_id}/runs/{requests.utils.quote(run_id, safe='')}",
        f"../dags/{dag_id}/runs/{requests.utils.quote(run_id, safe='')}/tasks/sync?try_number=1",
    ]


def test_a_running_sync_shows_its_last_progress(page_run: PageRun) -> None:
    running = page_run.seen["running"]
    assert running is not None, "the page never showed the sync while it ran"
    progress = running["syncs"][SYNC_KEY]["running"]
    assert progress.startswith("Running since") and "Reading " in progress
    numbers = running["syncs"][SYNC_KEY]["progress"]
    last = page_run.summaries[-1]
    assert 0 < numbers["calls"] <= last["api_calls"]  # what it had done by then, never more than the pass did
    assert 0 < numbers["rows"] <= sum(t["rows"] for t in last["tables"].values())
    assert 0 <= numbers["pages"] <= last["scheduled_event_pages"]


def test_webhook_health_is_the_inbox_and_the_health_check(page_run: PageRun) -> None:
    receipts = [r for r in page_run.inbox.receipts_since(0) if r.path == "/calendly/webhooks"]
    shown = page_run.seen["viewer"]["subscriptions"]["/calendly/webhooks"]
    assert shown["stored"] == sum(r.stored for r in receipts) > 0
    assert shown["duplicates"] == sum(r.duplicate for r in receipts)
    assert shown["signature_failures"] == sum(r.rejected_signature for r in receipts) == 1
    assert shown["state"] == "active"
    assert shown["verdict"].startswith("healthy")
    assert shown["last_delivery"] != "none"
    position = page_run.summaries[-1]["webhook_feed"]["position"]
    assert page_run.seen["viewer"]["consumers"][f"{SYNC_DAG}.sync"] == page_run.inbox.count_after(position)
    subscription = page_run.status("viewer").json()["webhooks"]["subscriptions"][0]
    assert set(subscription["subscription"]["events"]) == set(FEED_EVENTS) - set(RECAP_EVENTS)


def test_the_charts_are_drawn_from_the_same_numbers(page_run: PageRun) -> None:
    charts = page_run.seen["viewer"]["charts"]
    assert all(chart is not None and chart["drawn"] for chart in charts.values()), charts
    calls = charts["chart-calls"]["datasets"]
    data = page_run.status("viewer").json()
    ours = [p for p in data["charts"]["calls_per_pass"] if p["dag_id"] == SYNC_DAG]
    assert [p["api_calls"] for p in ours] == [s["api_calls"] for s in page_run.summaries]
    assert calls["API calls used"] == sum(p["api_calls"] for p in data["charts"]["calls_per_pass"])
    rows = charts["chart-rows"]["datasets"]
    for name in ("inserted", "changed", "unchanged", "deleted"):
        assert rows[name] == sum(data["charts"]["rows_per_day"][name])
    mine = sum(t[name] for s in page_run.summaries for t in s["tables"].values() for name in ("inserted",))
    assert rows["inserted"] >= mine > 0
    deliveries = charts["chart-deliveries"]["datasets"]
    assert deliveries["stored: /calendly/webhooks"] == sum(
        r.stored for r in page_run.inbox.receipts_since(0) if r.path == "/calendly/webhooks"
    )
    assert deliveries["bad signatures"] == 1


# --- what the page never shows ----------------------------------------------------------------------------------


def test_no_token_key_or_personal_data_on_the_page_or_in_the_json(page_run: PageRun) -> None:
    emulator = page_run.emulator
    people = {i["email"] for items in emulator.data.invitees.values() for i in items}
    people |= {i["name"] for items in emulator.data.invitees.values() for i in items}
    people |= {m["user"][key] for m in emulator.organization.memberships for key in ("email", "name")}
    people |= {f"page-{c}@example.com" for c in "abcd"}
    shown = [page_run.status("admin").text, page_run.seen["viewer"]["body"], page_run.seen["admin"]["body"]]
    for text in shown:
        assert TOKEN not in text and SIGNING_KEY not in text
        assert not [p for p in people if p and p in text], "personal data on the page"
    assert PROGRESS_XCOM_KEY not in shown[1]


def test_markup_in_names_and_stored_values_is_shown_as_text(page_run: PageRun) -> None:
    admin = page_run.seen["admin"]
    assert admin["pwned"] is None  # no script from the data ran
    private = admin["syncs"][f"{PRIVATE_DAG}.sync.-1"]
    assert private["dag"] == _dag(PRIVATE_DAG).dag_display_name  # the markup, as text
    assert private["warehouse"] == f"calendly_page_warehouse · sqlite · {HOSTILE_PREFIX}*"
    assert private["skipped_text"] == [f"Skipped routing_forms: {HOSTILE_REASON}"]


def test_screenshots_are_saved(page_run: PageRun) -> None:
    names = sorted(Path(p).name for p in page_run.seen["screenshots"])
    assert names == ["01-in-airflow.png", "02-running-sync.png", "03-page.png", "04-webhooks.png", "05-trends.png"]
    for shown in DOCS_SHOTS:  # what the docs show was taken by this test
        assert (DOCS_IMAGES / shown).stat().st_size > 10_000, shown
    for path in page_run.seen["screenshots"]:
        assert Path(path).stat().st_size > 10_000, path
