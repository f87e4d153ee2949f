"""Benchmark the warehouse load against the warehouse's own bulk load, and peak memory of a big sync.

Run it with ``python -m benchmarks.bench_load`` (``--invitees``, ``--sizes``, ``--warehouses`` to change the
sizes; ``--million`` adds the 1,000,000-invitee point, ``--quick`` is the test suite's small run). Two
measurements:

1. **Load throughput** per warehouse (SQLite file, DuckDB file, PostgreSQL when reachable): the same
   invitees (each with two answers) are written once by :class:`CalendlyTableWriter` (upserts from model
   rows, one transaction per 500-invitee chunk: COPY into staging + one merge on PostgreSQL) and once by
   the raw baseline — the warehouse's own bulk load (plain ``COPY`` on PostgreSQL, plain bulk ``INSERT``
   elsewhere) of the same rows, already converted, into empty tables, same chunked commits — in the same
   run. Rows/s counts invitee and answer rows; the goal is at least 0.7 x the raw rate.
2. **Peak memory of a large sync**: :class:`CalendlySqlSync` over a synthetic source of each of ``--sizes``
   invitees (in-process, generated page by page, so the source holds one page), into SQLite and DuckDB
   files, each size in a fresh subprocess. Reported: the peak RSS sampled while the sync runs, next to
   the RSS just before it (and with ``--heap`` the peak of the Python heap, what the loader itself holds), for
   each size, to show memory stays flat as rows grow (goal: ≤ 300 MB, and the largest size within 10 % of
   the smallest). 1,000,000 invitees take about six minutes per warehouse, so ``make bench`` stops at
   100,000 unless given ``--million``. (DuckDB's own buffer cache grows with
   the database up to its ``memory_limit``; that shows in its RSS, not in the Python heap.)

:func:`collect` returns the figures as :class:`~benchmarks.report.Row` objects; they are also saved to
``benchmarks/.out/bench_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import MEETINGS
from benchmarks.report import Row, run_standalone

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
POSTGRES_URI = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URI = os.environ.get("CALENDLY_TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306/test")
CHUNK = 500
RSS_GOAL_MB = 300.0
FLAT_TOLERANCE = 1.10
#: Our upsert load vs the warehouse's raw bulk load of the same, already converted rows (same run).
RAW_GOAL = 0.7
#: Alternating runs of each load; the best of each is compared.
REPEATS = 5
NAMES = {
    "sqlite": "SQLite",
    "duckdb": "DuckDB",
    "postgres": "PostgreSQL",
    "mysql": "MariaDB (mysql)",
    "snowflake": "Snowflake (fakesnow)",
    "bigquery": "BigQuery (bqemulator)",
}
#: Warehouses measured in the venv of their official provider (``.venv/<kind>``) with their stand-in.
STANDINS = {"snowflake": "fakesnow", "bigquery": "bqemulator"}
#: The dataset of the BigQuery stand-in the load is measured in.
BIGQUERY_DATASET = "bench"


def _prepare_airflow(workdir: Path) -> None:
    os.environ.setdefault("AIRFLOW_HOME", str(workdir / "airflow"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


def _conn_value(kind: str, workdir: Path) -> str | None:
    if kind == "sqlite":
        return json.dumps({"conn_type": "sqlite", "host": str(workdir / "bench.db")})
    if kind == "duckdb":
        return json.dumps({"conn_type": "duckdb", "host": str(workdir / "bench.duckdb")})
    if kind == "snowflake":  # fakesnow, patched in by bench_throughput (in .venv/snowflake)
        extra = {"account": "fakesnow", "database": "BENCH", "warehouse": "COMPUTE_WH"}
        return json.dumps({"conn_type": "snowflake", "login": "bench", "schema": "RAW", "extra": extra})
    if kind == "bigquery":  # bqemulator, started by bench_throughput (in .venv/bigquery)
        from tests.warehouses.standins import bigquery_connection

        return bigquery_connection(BIGQUERY_DATASET)
    uri = {"postgres": POSTGRES_URI, "mysql": MYSQL_URI}[kind]
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(uri, connect_timeout=3).close()
        else:
            import MySQLdb
            from sqlalchemy.engine import make_url

            url = make_url(uri)
            MySQLdb.connect(
                host=url.host, port=url.port or 3306, user=url.username, passwd=url.password or "", connect_timeout=3
            ).close()
    except Exception as exc:
        print(f"  {kind}: skipped ({exc.__class__.__name__}: {exc})".strip())
        return None
    return uri


def _writer(kind: str, workdir: Path, prefix: str) -> Any:
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.transfers.tables import TABLES
    from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

    value = _conn_value(kind, workdir)
    if value is None:
        return None
    os.environ[f"AIRFLOW_CONN_BENCH_{kind.upper()}"] = value
    # a prefix of this process's own: a server warehouse is shared with other runs
    writer = CalendlyTableWriter(resolve_dbapi_hook(f"bench_{kind}"), f"{prefix}{os.getpid()}_")
    for key in TABLES:
        writer.execute(f"DROP TABLE IF EXISTS {writer.table_name(key)}")
    writer.connection.commit()
    writer.ensure_tables(["invitees", "invitee_answers"])
    return writer


def _rows(n: int) -> list[dict[str, list[dict[str, Any]]]]:
    from airflow_provider_calendly.transfers.tables import invitee_rows
    from benchmarks.synthetic import EPOCH, synthetic_invitee

    return [
        invitee_rows(synthetic_invitee(f"https://api.calendly.test/scheduled_events/E{i // 4:08d}", i, i % 4, EPOCH))
        for i in range(n)
    ]


def _batched(writer: Any, rows: list[dict[str, list[dict[str, Any]]]]) -> None:
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        writer.write_rows(
            {
                "invitees": [r for item in chunk for r in item["invitees"]],
                "invitee_answers": [r for item in chunk for r in item["invitee_answers"]],
            }
        )


def _raw_bulk(writer: Any, rows: list[dict[str, list[dict[str, Any]]]]) -> float:
    """The baseline: the warehouse's own bulk load of the same rows, already converted, into empty tables.

    PostgreSQL: a plain binary ``COPY`` per table and chunk through psycopg 3 (no staging, no merge); SQLite:
    ``executemany`` of a plain ``INSERT``; DuckDB: a plain ``INSERT … SELECT unnest(?)`` (its fastest
    parameterised bulk insert: its ``executemany`` runs one statement per row); Snowflake: the connector's
    ``write_pandas`` into the table; BigQuery: one load job appending to the table. Values are converted to the
    driver's types before the clock starts, so the baseline is the load alone; commits per chunk of ``CHUNK``
    invitees, like the writer. The SQL is written out here on purpose: it is the yardstick, not the writer.

    :returns: Seconds the load took.
    """
    from datetime import datetime, timezone

    from airflow_provider_calendly.transfers.tables import TABLES

    now = writer.dialect.bind_timestamp(datetime.now(timezone.utc))
    keys = ("invitees", "invitee_answers")
    chunks = [
        {
            key: list(
                zip(
                    *writer._converters[key]([row for item in rows[start : start + CHUNK] for row in item[key]], now),
                    strict=True,
                )
            )
            for key in keys
        }
        for start in range(0, len(rows), CHUNK)
    ]
    kind = writer.dialect.name
    ddl_types = writer.dialect.types
    sql = {}
    for key in keys:
        spec, table = TABLES[key], writer.table_name(key)
        columns = ", ".join(spec.column_names)
        if kind == "postgresql":
            sql[key] = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        elif kind == "duckdb":
            selects = ", ".join(f"unnest(?::{ddl_types[c.type]}[])" for c in spec.columns)
            sql[key] = f"INSERT INTO {table} ({columns}) SELECT {selects}"
        else:  # SQLite, MySQL: a plain multi-row INSERT (MySQL's drivers pack executemany into VALUES lists)
            marks = ", ".join(writer.dialect.placeholder for _ in spec.columns)
            sql[key] = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    copy_types = {
        key: [str(c.type.compile(dialect=writer.dialect.compiler)).lower() for c in writer.tables[key].columns]
        for key in keys
    }
    # BigQuery's load jobs name their table by its API resource: looked up before the clock starts.
    targets = (
        {key: writer.dialect.client.get_table(writer.dialect.table_id(writer.tables[key])) for key in keys}
        if kind == "bigquery"
        else {}
    )
    conn = writer.connection
    started = time.perf_counter()
    for chunk in chunks:
        with writer.transaction():
            for key, values in chunk.items():
                if not values:
                    continue
                if kind == "postgresql":
                    from psycopg.types.json import set_json_dumps

                    with conn.cursor() as cursor:
                        set_json_dumps(lambda v: v, context=cursor)
                        with cursor.copy(sql[key]) as copy:
                            copy.set_types(copy_types[key])
                            for row in values:
                                copy.write_row(row)
                elif kind == "duckdb":
                    conn.execute(sql[key], [list(c) for c in zip(*values, strict=True)])
                elif kind == "snowflake":  # the connector's write_pandas (PUT + COPY INTO) into the table, no MERGE
                    columns_of = [list(c) for c in zip(*values, strict=True)]
                    writer.dialect.stage_rows(writer, key, columns_of, into=writer.tables[key].name)
                elif kind == "bigquery":  # one load job appending to the table, no staging table, no MERGE
                    columns_of = [list(c) for c in zip(*values, strict=True)]
                    writer.dialect.load_job(targets[key], writer.tables[key].columns.keys(), columns_of, truncate=False)
                else:
                    with writer.cursor() as cursor:
                        cursor.executemany(sql[key], values)
    return time.perf_counter() - started


def _row_count(rows: list[dict[str, list[dict[str, Any]]]]) -> int:
    return sum(len(r["invitees"]) + len(r["invitee_answers"]) for r in rows)


def _in_warehouse_venv(kind: str, invitees: int) -> dict[str, Any]:
    """The throughput of ``kind`` measured in the venv of its provider (``.venv/<kind>``), in this same run."""
    python = REPO / ".venv" / kind / "bin" / "python"
    if not python.exists():
        print(f"  {kind}: skipped (no .venv/{kind}: make {kind}-venv)")
        return {"skipped": f"needs .venv/{kind}"}
    out = subprocess.run(
        [
            str(python),
            "-m",
            "benchmarks.bench_load",
            "--throughput-only",
            "--warehouses",
            kind,
            "--invitees",
            str(invitees),
        ],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
    )
    lines = out.stdout.strip().splitlines()
    try:  # its last line is the JSON of its figures (it has no goal rows of its own, so it exits 1)
        result: dict[str, Any] = json.loads(lines[-1])[kind]
    except (IndexError, ValueError, KeyError):
        print(out.stderr[-3000:], flush=True)
        return {"skipped": f"its run in .venv/{kind} failed (exit {out.returncode})"}
    print(lines[-2], flush=True)
    return result


def bench_throughput(kinds: list[str], invitees: int, workdir: Path) -> dict[str, Any]:
    import importlib.util

    rows = _rows(invitees)
    total_rows = _row_count(rows)
    results: dict[str, Any] = {}
    for kind in kinds:
        if kind in STANDINS and importlib.util.find_spec(STANDINS[kind]) is None:
            results[kind] = _in_warehouse_venv(kind, invitees)
            continue
        with _standin(kind, workdir):
            results[kind] = _throughput(kind, rows, total_rows, invitees, workdir)
    return results


@contextmanager
def _standin(kind: str, workdir: Path) -> Iterator[None]:
    """The stand-in of ``kind`` (fakesnow patched in; bqemulator started, with the bench's dataset), if it has one."""
    if kind == "snowflake":
        import fakesnow

        with fakesnow.patch():
            yield
    elif kind == "bigquery":
        from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

        from tests.warehouses.standins import PROJECT, bigquery_server

        (workdir / "bqemulator").mkdir()
        with bigquery_server(workdir / "bqemulator") as url:
            os.environ["BIGQUERY_EMULATOR_HOST"] = url
            os.environ["AIRFLOW_CONN_BENCH_BIGQUERY"] = _conn_value(kind, workdir) or ""
            BigQueryHook(gcp_conn_id="bench_bigquery").get_client(project_id=PROJECT).create_dataset(BIGQUERY_DATASET)
            yield
    else:
        yield


def _throughput(
    kind: str, rows: list[dict[str, list[dict[str, Any]]]], total_rows: int, invitees: int, workdir: Path
) -> dict[str, Any]:
    """Our load and the raw bulk load of ``rows`` into ``kind``, alternating, best of :data:`REPEATS` each."""
    raw = ours = float("inf")
    for _attempt in range(REPEATS):  # alternate, best of each: the machine is shared, one shot is noisy
        writer = _writer(kind, workdir, "bench_raw_")
        if writer is None:
            return {"skipped": "not reachable"}
        raw = min(raw, _raw_bulk(writer, rows))
        assert writer.count("invitees") == invitees, "every invitee landed"
        writer.close()
        writer = _writer(kind, workdir, "bench_ours_")
        started = time.perf_counter()
        _batched(writer, rows)
        ours = min(ours, time.perf_counter() - started)
        assert writer.count("invitees") == invitees, "every invitee landed"
        writer.close()
    r = {
        "rows": total_rows,
        "ours_rows_per_s": round(total_rows / ours),
        "raw_rows_per_s": round(total_rows / raw),
        "ratio": round(raw / ours, 2),
    }
    print(
        f"  {kind:9s} {total_rows} rows: upsert {r['ours_rows_per_s']:>9,} rows/s | "
        f"raw bulk load {r['raw_rows_per_s']:>9,} rows/s | {r['ratio']}x",
        flush=True,
    )
    return r


def child_sync(invitees: int, per_event: int, kind: str, workdir: Path, *, heap: bool = False) -> dict[str, Any]:
    """Run one synthetic sync in this (fresh) process and report its peak RSS and Python-heap peak."""
    import tracemalloc

    import psutil

    from airflow_provider_calendly.transfers.sync import CalendlySqlSync
    from benchmarks.synthetic import SyntheticCalendly

    writer = _writer(kind, workdir, "big_")
    source = SyntheticCalendly(events=invitees // per_event, invitees_per_event=per_event)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    peak = {"rss": rss_before}
    done = threading.Event()

    def sample() -> None:  # RSS while the sync runs (ru_maxrss would include Airflow's import-time peak)
        while not done.wait(0.01):
            peak["rss"] = max(peak["rss"], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if heap:
        tracemalloc.start()  # triples the run time: off unless asked for
    started = time.perf_counter()
    summary = CalendlySqlSync(hook=source, writer=writer, mode="full", resources=MEETINGS).run()  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    heap_peak = tracemalloc.get_traced_memory()[1] if heap else 0
    tracemalloc.stop()
    landed = writer.count("invitees")
    writer.close()
    return {
        "invitees": landed,
        "rows_written": sum(t["rows"] for t in summary["tables"].values()),
        "seconds": round(seconds, 1),
        "rss_before_sync_mb": round(rss_before / 2**20, 1),
        "peak_rss_during_sync_mb": round(peak["rss"] / 2**20, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python_heap_peak_mb": round(heap_peak / 2**20, 1) if heap else None,
        "warehouse": kind,
    }


def bench_memory(sizes: list[int], per_event: int, kinds: list[str], *, heap: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for kind, size in [(k, s) for k in kinds for s in sizes]:
        with tempfile.TemporaryDirectory(prefix="calendly-bench-") as tmp:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_load",
                    "--child-sync",
                    str(size),
                    "--per-event",
                    str(per_event),
                    "--warehouses",
                    kind,
                    "--workdir",
                    tmp,
                    *(["--heap"] if heap else []),
                ],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results[f"{kind}:{size}"] = result
        print(
            f"  {result['invitees']:>7,} invitees ({result['rows_written']:,} rows) into {kind} in {result['seconds']} s: "
            f"peak RSS during the sync {result['peak_rss_during_sync_mb']} MB (before it {result['rss_before_sync_mb']} MB)"
            + (f", Python heap peak {result['python_heap_peak_mb']} MB" if heap else ""),
            flush=True,
        )
    return results


def throughput_rows(throughput: dict[str, Any], invitees: int) -> list[Row]:
    rows = []
    for kind, r in throughput.items():
        metric = f"load rows/s into {NAMES.get(kind, kind)}, upsert vs the raw bulk load of the same rows"
        if "skipped" in r:
            rows.append(
                Row(
                    metric=metric,
                    ours=0.0,
                    baseline=None,
                    unit="rows/s",
                    goal=f"ratio ≥ {RAW_GOAL:g}",
                    passed=False,
                    note=f"{NAMES.get(kind, kind)}: {r['skipped']}",
                )
            )
            continue
        rows.append(
            Row(
                metric=metric,
                ours=r["ours_rows_per_s"],
                baseline=r["raw_rows_per_s"],
                unit="rows/s",
                goal=f"ratio ≥ {RAW_GOAL:g}",
                passed=r["ratio"] >= RAW_GOAL,
                note=(
                    f"{invitees:,} invitees = {r['rows']:,} rows, commits per {CHUNK} invitees both ways; ours "
                    "from model rows (conversion, staging, merge, child replacement), the baseline from "
                    f"already converted rows into empty tables (COPY on PostgreSQL, write_pandas on Snowflake, plain multi-row "
                    f"INSERT elsewhere); best of {REPEATS}"
                ),
            )
        )
    return rows


def memory_rows(memory: dict[str, Any]) -> list[Row]:
    rows = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for result in memory.values():
        by_kind.setdefault(result["warehouse"], []).append(result)
    for kind, results in by_kind.items():
        results.sort(key=lambda r: r["invitees"])
        for r in results:
            rows.append(
                Row(
                    metric=f"peak RSS of a {r['invitees']:,}-invitee synthetic sync into {NAMES.get(kind, kind)}",
                    ours=r["peak_rss_during_sync_mb"],
                    baseline=None,
                    unit="MB",
                    goal=f"≤ {RSS_GOAL_MB:g} MB",
                    passed=r["peak_rss_during_sync_mb"] <= RSS_GOAL_MB,
                    note=(
                        f"{r['rows_written']:,} rows in {r['seconds']} s "
                        f"({r['rows_written'] / max(r['seconds'], 1e-9):,.0f} rows/s); "
                        f"RSS {r['rss_before_sync_mb']} MB before the sync (Airflow and the imports)"
                    ),
                )
            )
        if len(results) > 1:
            small, large = results[0], results[-1]
            growth = large["peak_rss_during_sync_mb"] / small["peak_rss_during_sync_mb"]
            rows.append(
                Row(
                    metric=(
                        f"peak RSS growth from {small['invitees']:,} to {large['invitees']:,} invitees "
                        f"({NAMES.get(kind, kind)})"
                    ),
                    ours=large["peak_rss_during_sync_mb"],
                    baseline=small["peak_rss_during_sync_mb"],
                    unit="MB",
                    goal=f"ratio ≤ {FLAT_TOLERANCE:g} (flat in N)",
                    passed=growth <= FLAT_TOLERANCE,
                    note=f"{large['invitees'] // small['invitees']}x the invitees",
                )
            )
    return rows


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=None, help="invitees for the throughput comparison")
    parser.add_argument("--sizes", default=None, help="invitees of each synthetic sync (default 10000,100000)")
    parser.add_argument("--million", action="store_true", help="add the 1,000,000-invitee sync (~6 min each)")
    parser.add_argument("--per-event", type=int, default=4, help="invitees per scheduled event")
    parser.add_argument("--warehouses", default="sqlite,duckdb,postgres,mysql,snowflake,bigquery")
    parser.add_argument("--memory-warehouses", default="sqlite,duckdb", help="warehouses of the large sync")
    parser.add_argument("--heap", action="store_true", help="also trace the Python heap peak (3x slower)")
    parser.add_argument("--quick", action="store_true", help="small sizes (for the test suite)")
    parser.add_argument("--throughput-only", action="store_true", help="print the throughput as JSON and stop")
    args = parser.parse_args(argv)
    invitees = args.invitees or (1_000 if args.quick else 5_000)
    sizes = [int(n) for n in (args.sizes or ("2000,10000" if args.quick else "10000,100000")).split(",")]
    if args.million:
        sizes.append(1_000_000)

    with tempfile.TemporaryDirectory(prefix="calendly-bench-") as tmp:
        workdir = Path(tmp)
        _prepare_airflow(workdir)
        print(f"Load throughput ({invitees:,} invitees with 2 answers each, chunks of {CHUNK}):", flush=True)
        throughput = bench_throughput(args.warehouses.split(","), invitees, workdir)
    if args.throughput_only:  # a warehouse venv's part of the run (see _in_warehouse_venv)
        print(json.dumps(throughput))
        return []
    print(f"Peak memory of a full synthetic sync ({args.per_event} invitees per event):", flush=True)
    memory = bench_memory(sorted(set(sizes)), args.per_event, args.memory_warehouses.split(","), heap=args.heap)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_load.json").write_text(json.dumps({"throughput": throughput, "memory": memory}, indent=2))
    return throughput_rows(throughput, invitees) + memory_rows(memory)


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child-sync", type=int, required=True)
    parser.add_argument("--per-event", type=int, default=4)
    parser.add_argument("--warehouses", default="sqlite")
    parser.add_argument("--heap", action="store_true")
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    _prepare_airflow(workdir)
    print(json.dumps(child_sync(args.child_sync, args.per_event, args.warehouses, workdir, heap=args.heap)))
    return 0


if __name__ == "__main__":
    argv = sys.argv[1:]
    raise SystemExit(_child_main(argv) if "--child-sync" in argv else main(argv))
