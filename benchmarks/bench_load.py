"""Benchmark the warehouse load: batched upserts vs a naive row-by-row INSERT, and peak memory of a big sync.

Run it with ``python -m benchmarks.bench_load`` (``--invitees``, ``--large``, ``--warehouses`` to change the
sizes). Two measurements:

1. **Load throughput** per warehouse (SQLite file, DuckDB file, PostgreSQL when reachable): the same
   invitees (each with two answers) are written once by :class:`CalendlyTableWriter` (multi-row upserts,
   one transaction per 500-invitee chunk) and once by the naive baseline — one single-row ``INSERT … ON
   CONFLICT`` per row, same chunked commits — into fresh tables, in the same run. Rows/s counts invitee
   and answer rows.
2. **Peak memory of a large sync**: :class:`CalendlySqlSync` over a synthetic source of ``--large``
   invitees (in-process, generated page by page, so the source holds one page), into SQLite and DuckDB
   files, each size in a fresh subprocess. Reported: the peak RSS sampled while the sync runs, next to
   the RSS just before it (and with ``--heap`` the peak of the Python heap, what the loader itself holds), for a
   small and the large size, to show memory stays flat as rows grow. (DuckDB's own buffer cache grows with
   the database up to its ``memory_limit``; that shows in its RSS, not in the Python heap.)

Results are printed and saved to ``benchmarks/.out/bench_load.json``.
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
POSTGRES_URI = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
CHUNK = 500


def _prepare_airflow(workdir: Path) -> None:
    os.environ.setdefault("AIRFLOW_HOME", str(workdir / "airflow"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


def _conn_value(kind: str, workdir: Path) -> str | None:
    if kind == "sqlite":
        return json.dumps({"conn_type": "sqlite", "host": str(workdir / "bench.db")})
    if kind == "duckdb":
        return json.dumps({"conn_type": "duckdb", "host": str(workdir / "bench.duckdb")})
    try:
        import psycopg2

        psycopg2.connect(POSTGRES_URI, connect_timeout=3).close()
    except Exception as exc:
        print(f"  postgres: skipped ({exc.__class__.__name__}: {exc})".strip())
        return None
    return POSTGRES_URI


def _writer(kind: str, workdir: Path, prefix: str) -> Any:
    from airflow_provider_calendly.transfers.calendly_to_sql import resolve_dbapi_hook
    from airflow_provider_calendly.transfers.sql_writer import TABLES, CalendlyTableWriter

    value = _conn_value(kind, workdir)
    if value is None:
        return None
    os.environ[f"AIRFLOW_CONN_BENCH_{kind.upper()}"] = value
    writer = CalendlyTableWriter(resolve_dbapi_hook(f"bench_{kind}"), prefix)
    for key in TABLES:
        writer.execute(f"DROP TABLE IF EXISTS {writer.table_name(key)}")
    writer.connection.commit()
    writer.ensure_tables(["invitees", "invitee_answers"])
    return writer


def _rows(n: int) -> list[dict[str, list[dict[str, Any]]]]:
    from airflow_provider_calendly.transfers.sql_writer import invitee_rows
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


def _naive(writer: Any, rows: list[dict[str, list[dict[str, Any]]]]) -> None:
    """The baseline: one single-row INSERT per row (still an upsert), committed per chunk like the writer."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    sql = {key: writer._insert_sql(key, 1, upsert=True) for key in ("invitees", "invitee_answers")}
    for start in range(0, len(rows), CHUNK):
        with writer.transaction():
            cursor = writer._cursor()
            for item in rows[start : start + CHUNK]:
                for key in ("invitees", "invitee_answers"):
                    for row in item[key]:
                        cursor.execute(sql[key], writer._converters[key](row, now))
            writer._release(cursor)


def bench_throughput(kinds: list[str], invitees: int, workdir: Path) -> dict[str, Any]:
    rows = _rows(invitees)
    total_rows = sum(len(r["invitees"]) + len(r["invitee_answers"]) for r in rows)
    results: dict[str, Any] = {}
    for kind in kinds:
        timings: dict[str, float] = {}
        for method, fn in (("batched", _batched), ("naive", _naive)):
            writer = _writer(kind, workdir, f"bench_{method}_")
            if writer is None:
                break
            started = time.perf_counter()
            fn(writer, rows)
            timings[method] = time.perf_counter() - started
            assert writer.count("invitees") == invitees, "every invitee landed"
            writer.close()
        if len(timings) < 2:
            continue
        results[kind] = {
            "rows": total_rows,
            "batched_rows_per_s": round(total_rows / timings["batched"]),
            "naive_rows_per_s": round(total_rows / timings["naive"]),
            "speedup": round(timings["naive"] / timings["batched"], 1),
        }
        r = results[kind]
        print(
            f"  {kind:9s} {total_rows} rows: batched {r['batched_rows_per_s']:>9,} rows/s | "
            f"naive row-by-row {r['naive_rows_per_s']:>8,} rows/s | {r['speedup']}x"
        )
    return results


def child_sync(invitees: int, per_event: int, kind: str, workdir: Path, *, heap: bool = False) -> dict[str, Any]:
    """Run one synthetic sync in this (fresh) process and report its peak RSS and Python-heap peak."""
    import tracemalloc

    import psutil

    from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync
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
    summary = CalendlySqlSync(hook=source, writer=writer, mode="full").run()  # type: ignore[arg-type]
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
                    "--workdir",
                    tmp,
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
            + (f", Python heap peak {result['python_heap_peak_mb']} MB" if heap else "")
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=5_000, help="invitees for the throughput comparison")
    parser.add_argument("--large", type=int, default=100_000, help="invitees of the large synthetic sync")
    parser.add_argument("--small", type=int, default=10_000, help="invitees of the small sync, for comparison")
    parser.add_argument("--per-event", type=int, default=4, help="invitees per scheduled event")
    parser.add_argument("--warehouses", default="sqlite,duckdb,postgres")
    parser.add_argument("--memory-warehouses", default="sqlite,duckdb", help="warehouses of the large sync")
    parser.add_argument("--heap", action="store_true", help="also trace the Python heap peak (3x slower)")
    parser.add_argument("--child-sync", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_sync:
        workdir = Path(args.workdir)
        _prepare_airflow(workdir)
        print(json.dumps(child_sync(args.child_sync, args.per_event, args.warehouses, workdir, heap=args.heap)))
        return 0

    with tempfile.TemporaryDirectory(prefix="calendly-bench-") as tmp:
        workdir = Path(tmp)
        _prepare_airflow(workdir)
        print(f"Load throughput ({args.invitees:,} invitees with 2 answers each, chunks of {CHUNK}):")
        throughput = bench_throughput(args.warehouses.split(","), args.invitees, workdir)
    print(f"Peak memory of a full synthetic sync ({args.per_event} invitees per event):")
    memory = bench_memory([args.small, args.large], args.per_event, args.memory_warehouses.split(","), heap=args.heap)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_load.json").write_text(json.dumps({"throughput": throughput, "memory": memory}, indent=2))
    print(f"Saved {OUT / 'bench_load.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
