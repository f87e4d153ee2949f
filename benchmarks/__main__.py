"""``python -m benchmarks`` (``make bench``): run every benchmark, write ``benchmarks/RESULTS.md`` and the plots.

Each ``benchmarks/bench_*.py`` module's ``collect(argv)`` returns :class:`~benchmarks.report.Row` objects;
they are gathered into one table (in the order of the issue's goals, then any other module), the plots
are drawn from the timelines the modules saved in ``benchmarks/.out/``, and the exit status is non-zero if
any goal was missed (or a benchmark crashed: that shows as a failed row, the others still run).

Options: ``--quick`` (every module's short variant), ``--only calls,fanout`` / ``--skip load`` (module
names without ``bench_``), ``--million`` (add the 1,000,000-invitee sync to ``bench_load``: ~6 more
minutes per warehouse, so it is not part of the default run), ``--no-write`` (print, leave RESULTS.md).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from benchmarks import plots, report
from benchmarks.report import Row

#: Goal order of the issues: calls, rate limit, workers, fan-out, loading, overhead, webhooks, incremental.
ORDER = ("calls", "ratelimit", "workers", "fanout", "load", "overhead", "webhooks", "incremental")


def _modules() -> list[str]:
    found = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    return [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]


def _run(name: str, argv: list[str]) -> list[Row]:
    started = time.monotonic()
    try:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        if hasattr(module, "collect"):
            rows = list(module.collect(argv))
        else:  # a module without rows: its exit status is its only figure
            status = int(module.main(argv) or 0)
            rows = [Row(f"benchmarks.bench_{name} exit status", status, None, "", "0", status == 0)]
    except Exception as exc:
        traceback.print_exc()
        rows = [
            Row(
                metric=f"benchmarks.bench_{name} crashed",
                ours=0.0,
                baseline=None,
                unit="",
                goal="runs",
                passed=False,
                note=f"{type(exc).__name__}: {exc}".replace("|", "/")[:300],
            )
        ]
    print(f"  ({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark's short variant")
    parser.add_argument("--only", default="", help="comma-separated module names (without bench_)")
    parser.add_argument("--skip", default="", help="comma-separated module names to leave out")
    parser.add_argument("--million", action="store_true", help="add the 1,000,000-invitee sync (slow)")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    names = [n for n in _modules() if (not only or n in only) and n not in skip]

    started = time.monotonic()
    rows: list[Row] = []
    for name in names:
        print(f"\n### benchmarks.bench_{name}", flush=True)
        module_argv = ["--quick"] if args.quick and name != "workers" else []
        if name == "load" and args.million:
            module_argv.append("--million")
        module_rows = _run(name, module_argv)
        report.print_rows(module_rows)
        rows += module_rows
    seconds = time.monotonic() - started
    drawn = plots.draw_all()
    if not args.no_write:
        path = report.write(rows, drawn, seconds=seconds)
        print(f"\nWrote {path} and {len(drawn)} plot(s) in {report.PLOTS}", flush=True)
    failed = [r for r in rows if not r.passed]
    print(f"{len(rows) - len(failed)} of {len(rows)} goals met in {seconds:.0f} s.", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
