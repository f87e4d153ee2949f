"""A real CeleryExecutor deployment: two workers, two API servers, two triggerers, one token, one inbox.

Started and torn down by this module (one deployment for all three scenarios), all on loopback: a fresh
PostgreSQL metadata database, Redis as the Celery broker and the shared rate budget, ``airflow scheduler``,
``airflow dag-processor``, two ``airflow celery worker`` (concurrency 2), two ``airflow triggerer``, two
``airflow api-server`` (the webhook receiver plugin on both), and the bundled emulator enforcing 20 calls per
5 s per token. The DAGs are in ``tests/distributed/dags``. Runs under CI=true or ``make distributed``.

1. one organization synced by tasks mapped over its users, on both workers, through one token;
2. a worker SIGKILLed mid-sync: the task is retried on the other worker and the tables equal a clean sync;
3. webhook deliveries spread over both API servers, an AssetWatcher DAG, a triggerer SIGKILLed mid-stream.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, service_unavailable
from tests.distributed.deployment import Deployment, fresh_database, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (IN_CI or os.environ.get("CALENDLY_DISTRIBUTED")),
        reason="multi-process deployment test: runs under CI=true or `make distributed`",
    ),
]

LIMIT = 20
PERIOD = 5.0
USERS = 3
SCHEDULED_EVENTS = 300
DELIVERIES = 20
SIGNING_KEY = "distributed-celery-signing-key"
POSTGRES = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CALENDLY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Columns a sync stamps with its own clock: everything else must match between two syncs of the same data.
VOLATILE = {"_synced_at"}
#: What the mapped DAG syncs (its event types task and its per-user partitions), so the reference syncs the same.
MEETING_RESOURCES = ("event_types", "scheduled_events", "invitees")


class RoundRobin:
    """A tiny load balancer: each POST goes to the next API server in turn; counts what each answered."""

    def __init__(self, targets: list[str]) -> None:
        import requests

        self.targets = targets
        self.answers: dict[str, list[int]] = {t: [] for t in targets}
        self._next = 0
        self._lock = threading.Lock()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with balancer._lock:
                    target = balancer.targets[balancer._next % len(balancer.targets)]
                    balancer._next += 1
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
                try:
                    answer = requests.post(target + self.path, data=body, headers=headers, timeout=30)
                    status, content = answer.status_code, answer.content
                except requests.RequestException:
                    status, content = 502, b"{}"
                balancer.answers[target].append(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Setup:
    deployment: Deployment
    emulator: Any
    warehouse: str
    started: float
    figures: dict[str, Any] = field(default_factory=dict)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        with psycopg2.connect(self.warehouse) as conn, conn.cursor() as cur:
            cur.execute(query, params or None)
            return list(cur.fetchall()) if cur.description else []


def _connection(uri: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    return json.dumps(
        {"conn_type": "postgres", "host": url.host, "port": url.port, "login": url.username, "schema": url.database}
    )


def _check_services() -> None:
    try:
        import psycopg2
        import redis

        psycopg2.connect(POSTGRES, connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        service_unavailable(f"PostgreSQL or Redis not reachable: {type(exc).__name__}: {exc}")


@pytest.fixture(scope="module")
def setup(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

    _check_services()
    started = time.monotonic()
    failed_before = request.session.testsfailed
    budget = f"{REDIS.rsplit('/', 1)[0]}/{14}"  # the shared rate budget's Redis database
    tokens = {name: f"dist-{name}-{uuid.uuid4().hex}" for name in ("mapped", "kill", "reference")}
    emulator = CalendlyEmulator(
        token=tokens["mapped"],
        rate_limit=LIMIT,
        rate_limit_period=PERIOD,
        users=USERS,
        event_types=6,
        scheduled_events=SCHEDULED_EVENTS,
        invitees_per_event=(1, 2),
    ).start()
    emulator.add_token(tokens["kill"])
    emulator.add_token(tokens["reference"])
    extra = {"rate_limit": LIMIT, "rate_limit_period": PERIOD, "rate_limit_storage": budget, "max_retries": 20}
    deployment: Deployment | None = None
    balancer: RoundRobin | None = None
    saved = dict(os.environ)
    try:
        with fresh_database(POSTGRES, "meta") as metadata, fresh_database(POSTGRES, "wh") as warehouse:
            connections = {
                "calendly_default": emulator.connection_json(**extra, webhook_signing_key=SIGNING_KEY),
                "calendly_kill": emulator.connection_json(**extra).replace(tokens["mapped"], tokens["kill"]),
                "dist_warehouse": _connection(warehouse),
                "calendly_webhook_inbox": _connection(warehouse),
            }
            deployment = Deployment(tmp_path_factory.mktemp("airflow-home"), metadata, REDIS, connections)
            migrate = threading.Thread(target=deployment.migrate)
            migrate.start()
            inbox = WebhookInbox(warehouse.replace("postgresql://", "postgresql+psycopg2://"))
            inbox.create_tables()
            inbox.engine.dispose()
            setup = Setup(deployment, emulator, warehouse, started)
            setup.sql("CREATE TABLE dist_runs_seen (run_id text, delivery_id text, claimed boolean)")
            # The reference: one single-task full sync, in this process, through a token of its own.
            os.environ["AIRFLOW_CONN_DIST_WAREHOUSE"] = connections["dist_warehouse"]
            os.environ["AIRFLOW_CONN_DIST_REFERENCE"] = emulator.connection_json(
                rate_limit=LIMIT, rate_limit_period=PERIOD, max_retries=20
            ).replace(tokens["mapped"], tokens["reference"])
            reference = threading.Thread(target=_reference_sync)
            reference.start()
            migrate.join()
            deployment.start()
            setup.figures["startup_s"] = round(time.monotonic() - started, 1)
            balancer = RoundRobin([f"{u}/calendly/webhooks" for u in deployment.api_urls])
            emulator.webhooks.subscribe(balancer.url, ["invitee.created"], signing_key=SIGNING_KEY)
            setup.figures["balancer"] = balancer
            reference.join(timeout=300)
            yield setup
            _report(setup)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if deployment is not None:
            if request.session.testsfailed > failed_before:
                print("\n" + deployment.dump_logs())
            deployment.stop()
        if balancer is not None:
            balancer.close()
        emulator.stop()


def _reference_sync() -> None:
    from airflow_provider_calendly.hooks.calendly import CalendlyHook
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.transfers.sync import CalendlySqlSync
    from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

    with CalendlyTableWriter(resolve_dbapi_hook("dist_warehouse"), "ref_") as writer:
        CalendlySqlSync(
            hook=CalendlyHook("dist_reference"), writer=writer, mode="full", resources=MEETING_RESOURCES
        ).run()


def _table_contents(setup: Setup, prefix: str) -> dict[str, set[tuple[Any, ...]]]:
    """Every table the DAGs write under ``prefix``, as a set of rows (the sync's own timestamps left out)."""
    from airflow_provider_calendly.transfers.sync import tables_for_resources
    from airflow_provider_calendly.transfers.tables import TABLES

    contents = {}
    for key in tables_for_resources(MEETING_RESOURCES):
        exists = setup.sql("SELECT to_regclass(%s)", f"{prefix}{key}")[0][0]
        if exists is None:
            continue
        columns = [c.name for c in TABLES[key].columns if c.name not in VOLATILE]
        rows = setup.sql(f"SELECT {', '.join(columns)} FROM {prefix}{key}")
        contents[key] = {tuple(json.dumps(v, sort_keys=True, default=str) for v in row) for row in rows}
    return contents


def _ti_rows(setup: Setup, dag_id: str, run_id: str) -> list[tuple[Any, ...]]:
    return setup.deployment.rows(
        "SELECT task_id, map_index, state, hostname, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s",
        dag_id,
        run_id,
    )


def test_one_token_many_workers_mapped_sync(setup: Setup) -> None:
    from benchmarks.common import sustained_rate

    deployment, emulator = setup.deployment, setup.emulator
    mark = len(emulator.requests)
    started = time.monotonic()
    run_id = deployment.trigger("calendly_dist_partitioned")
    state = deployment.wait_run("calendly_dist_partitioned", run_id, timeout=240)
    tis = _ti_rows(setup, "calendly_dist_partitioned", run_id)
    assert state == "success", tis
    mapped = [t for t in tis if t[0] == "events_by_user"]
    assert len(mapped) == USERS
    hosts = {t[3] for t in mapped}
    assert hosts == {"worker-1", "worker-2"}, f"the mapped tasks ran on {hosts}, not on both workers"
    calls = sorted((r.at, r.status) for r in emulator.requests[mark:] if r.token_id == 0)
    first = calls[0][0]
    # The share is measured over the mapped phase (the partitions' own calls): the setup tasks before it make
    # two calls, then leave the budget idle while the scheduler expands the map and the workers start.
    ok = [
        r.at for r in emulator.requests[mark:] if r.token_id == 0 and r.status == 200 and "/scheduled_events" in r.path
    ]
    late_429 = sum(1 for at, status in calls if status == 429 and at - first >= PERIOD)
    share = 100.0 * sustained_rate(ok, LIMIT) / (LIMIT / PERIOD)
    assert _table_contents(setup, "part_") == _table_contents(setup, "ref_")
    scopes = setup.sql("SELECT DISTINCT scope FROM part_sync_state WHERE table_name = 'scheduled_events'")
    assert len(scopes) == USERS  # one sync_state row per user partition
    setup.figures.update(
        mapped_calls=len(calls),
        mapped_429=sum(1 for _, s in calls if s == 429),
        mapped_late_429=late_429,
        mapped_share=round(share, 1),
        mapped_tasks=len(mapped),
        mapped_hosts=sorted(hosts),
        mapped_wall_s=round(time.monotonic() - started, 1),
    )
    assert late_429 == 0
    assert share >= 90.0, f"{share:.1f} % of the limit"


def test_worker_killed_mid_sync_is_retried_on_the_other(setup: Setup) -> None:
    deployment = setup.deployment
    started = time.monotonic()
    run_id = deployment.trigger("calendly_dist_worker_kill")

    def running_host() -> str | None:
        host = deployment.scalar(
            "SELECT hostname FROM task_instance WHERE dag_id = 'calendly_dist_worker_kill' AND run_id = %s"
            " AND state = 'running'",
            run_id,
        )
        if not host or setup.sql("SELECT to_regclass('kill_scheduled_events')")[0][0] is None:
            return None
        committed = setup.sql("SELECT count(*) FROM kill_scheduled_events")[0][0]
        return str(host) if committed > 0 else None  # a chunk is committed: the sync is mid-way

    victim = wait_for("the sync to commit its first chunk", running_host, 180, deployment)
    committed_at_kill = setup.sql("SELECT count(*) FROM kill_scheduled_events")[0][0]
    deployment.services[victim].kill()
    state = deployment.wait_run("calendly_dist_worker_kill", run_id, timeout=240)
    ti = _ti_rows(setup, "calendly_dist_worker_kill", run_id)
    assert state == "success", ti
    (_, _, _, host, tries), *_ = ti
    assert tries >= 2 and host != victim, ti
    killed, clean = _table_contents(setup, "kill_"), _table_contents(setup, "ref_")
    assert killed and killed == {key: clean[key] for key in killed}
    setup.figures.update(
        kill_victim=victim,
        kill_retried_on=host,
        kill_tries=tries,
        kill_committed_at_kill=committed_at_kill,
        kill_events=SCHEDULED_EVENTS,
        kill_wall_s=round(time.monotonic() - started, 1),
    )


def test_webhooks_two_api_servers_two_triggerers(setup: Setup) -> None:
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

    deployment, emulator = setup.deployment, setup.emulator
    balancer: RoundRobin = setup.figures["balancer"]
    started = time.monotonic()
    dag_id = "calendly_dist_webhooks"
    inbox = WebhookInbox(setup.warehouse.replace("postgresql://", "postgresql+psycopg2://"))

    def watching_triggerer() -> str | None:
        host = deployment.scalar(
            "SELECT job.hostname FROM trigger JOIN job ON job.id = trigger.triggerer_id"
            " WHERE trigger.classpath LIKE %s AND job.state = 'running'",
            "%CalendlyWebhookTrigger",
        )
        return str(host) if host and inbox.get_position("calendly_dist_webhooks") is not None else None

    victim = wait_for("a triggerer to watch the inbox", watching_triggerer, 180, deployment)
    runs = lambda: deployment.scalar("SELECT count(*) FROM dag_run WHERE dag_id = %s", dag_id)  # noqa: E731
    for i in range(DELIVERIES):
        before = runs()
        emulator.book(invitee_email=f"celery{i}@example.com")
        if i == DELIVERIES // 2:
            deployment.services[victim].kill()  # mid-stream: the delivery just booked is in flight
            continue
        # Bookings seconds apart, as in life: the next one once this one's run exists (Airflow folds asset
        # events that arrive within one scheduler loop into one run; the claim below counts deliveries anyway).
        wait_for(f"the run of delivery {i}", lambda before=before: runs() > before, 90, deployment)
    assert emulator.webhooks.wait_idle(timeout=60)
    wait_for(
        "every delivery claimed",
        lambda: setup.sql("SELECT count(*) FROM dist_runs_seen WHERE claimed")[0][0] >= DELIVERIES,
        120,
        deployment,
    )
    wait_for(
        "every run finished",
        lambda: (
            not deployment.scalar(
                "SELECT count(*) FROM dag_run WHERE dag_id = %s AND state NOT IN ('success', 'failed')", dag_id
            )
        ),
        120,
        deployment,
    )
    stored = {d.delivery_id for d in inbox.fetch(limit=1000)}
    inbox.engine.dispose()
    seen = setup.sql("SELECT delivery_id, count(DISTINCT run_id), sum(claimed::int) FROM dist_runs_seen GROUP BY 1")
    acted = {d for d, _, claims in seen if claims}
    total_runs = runs()
    failed_runs = deployment.scalar("SELECT count(*) FROM dag_run WHERE dag_id = %s AND state = 'failed'", dag_id)
    answers = {url: sum(1 for s in statuses if s == 200) for url, statuses in balancer.answers.items()}
    setup.figures.update(
        deliveries=DELIVERIES,
        stored=len(stored),
        per_api_server=list(answers.values()),
        runs=total_runs,
        failed_runs=failed_runs,
        acted=len(acted),
        lost=len(stored - acted),
        duplicates=sum(claims - 1 for _, _, claims in seen if claims > 1),
        replayed=sum(1 for _, run_count, _ in seen if run_count > 1),
        triggerer_killed=victim,
        webhooks_wall_s=round(time.monotonic() - started, 1),
    )
    assert len(stored) == DELIVERIES  # each stored once, whichever API server took it
    assert all(count > 0 for count in answers.values()), answers
    assert failed_runs == 0
    assert setup.figures["lost"] == 0 and setup.figures["duplicates"] == 0
    assert setup.figures["replayed"] == 0  # no delivery triggered two runs
    assert total_runs <= DELIVERIES


def _report(setup: Setup) -> None:
    """Print the figures; with CALENDLY_DISTRIBUTED_RESULTS, write them into benchmarks/RESULTS.md."""
    f = setup.figures
    if "mapped_share" not in f or "lost" not in f or "kill_tries" not in f:
        return  # a scenario did not finish: nothing complete to report
    wall = round(time.monotonic() - setup.started, 1)
    lines = [
        f"- deployment: scheduler, dag-processor, 2 Celery workers (concurrency 2), 2 triggerers, 2 API servers, "
        f"PostgreSQL metadata + inbox, Redis broker + rate budget; up in {f['startup_s']} s",
        f"- one token, {f['mapped_tasks']} mapped tasks on {', '.join(f['mapped_hosts'])}: {f['mapped_calls']} calls, "
        f"{f['mapped_429']} answered 429 ({f['mapped_late_429']} after the first window), {f['mapped_share']} % of the "
        f"limit ({LIMIT} calls / {PERIOD:g} s), union of partitions = single-task full sync; {f['mapped_wall_s']} s",
        f"- worker killed mid-sync: SIGKILL {f['kill_victim']} after {f['kill_committed_at_kill']} events committed, "
        f"retried on {f['kill_retried_on']} (try {f['kill_tries']}), run succeeded, tables = clean sync; "
        f"{f['kill_wall_s']} s",
        f"- webhooks: {f['deliveries']} deliveries, {f['stored']} stored, per API server {f['per_api_server']}, "
        f"{f['runs']} runs triggered, {f['acted']} acted on, duplicates={f['duplicates']}, lost={f['lost']}, "
        f"replayed={f['replayed']}, {f['triggerer_killed']} SIGKILLed mid-stream; {f['webhooks_wall_s']} s",
        f"- wall time {wall} s",
    ]
    print("\ndistributed CeleryExecutor deployment:\n" + "\n".join(lines))
    if os.environ.get("CALENDLY_DISTRIBUTED_RESULTS"):
        from benchmarks.report import write_section

        write_section(
            "distributed-celery",
            "## Distributed: a CeleryExecutor deployment (`make distributed`)\n\n"
            f"Measured on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
            "(tests/distributed/test_celery_deployment.py):\n\n" + "\n".join(lines) + "\n",
        )


def test_dag_file_parses() -> None:
    """The deployment's DAGs import and survive serialization (else the services would only show a timeout)."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    bag = DagBag(str(Path(__file__).parent / "dags"))
    assert bag.import_errors == {}
    assert {"calendly_dist_partitioned", "calendly_dist_worker_kill", "calendly_dist_webhooks"} <= set(bag.dag_ids)
    for dag in bag.dags.values():  # the mapped transfer's partial kwargs must deserialize (`resources` did not)
        DagSerialization.from_dict(DagSerialization.to_dict(dag))
