"""PNG plots of the benchmark timelines (``benchmarks/plots/``), drawn from ``benchmarks/.out/*.json``.

Each ``draw_*`` function reads one benchmark's saved output and returns the PNG it wrote, or ``None`` when
that benchmark has not been run (or saved something this module cannot read). matplotlib runs headless
(the Agg backend).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import PLOTS

OUT = Path(__file__).resolve().parent / ".out"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _load(name: str) -> Any:
    path = OUT / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _trailing_rate(times: Sequence[float], period: float, end: float) -> tuple[list[float], list[float]]:
    """Calls/s over the trailing ``period`` seconds, sampled every ``period / 50`` s up to ``end``."""
    times = sorted(times)
    step = period / 50
    xs, ys = [], []
    lo = hi = 0
    for k in range(int(end / step) + 2):
        t = k * step
        while hi < len(times) and times[hi] <= t:
            hi += 1
        while lo < hi and times[lo] <= t - period:
            lo += 1
        xs.append(t)
        ys.append((hi - lo) / period)
    return xs, ys


def _timeline_axes(
    ax: Any, title: str, times: Sequence[float], statuses: Sequence[int], limit: float, period: float
) -> None:
    ok = [t for t, s in zip(times, statuses, strict=True) if s != 429]
    rejected = [t for t, s in zip(times, statuses, strict=True) if s == 429]
    end = max(times) if times else period
    xs, ys = _trailing_rate(ok, period, end)
    ax.plot(xs, ys, color="tab:blue", lw=1.6, label=f"accepted calls/s (trailing {period:g} s)")
    ax.axhline(limit / period, color="tab:red", ls="--", lw=1.2, label=f"limit {limit:g}/{period:g} s")
    if rejected:
        ax.plot(rejected, [limit / period * 1.08] * len(rejected), "x", color="tab:red", ms=7, label="429")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("seconds since the first call", fontsize=8)
    ax.set_ylabel("calls/s", fontsize=8)
    ax.set_ylim(0, limit / period * 1.3)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def draw_ratelimit() -> Path | None:
    """Calls/s over time against the limit line, one panel per (client belief, server algorithm)."""
    results = _load("bench_ratelimit")
    if not results:
        return None
    plt = _pyplot()
    beliefs = list(dict.fromkeys(r["belief"] for r in results))
    algorithms = list(dict.fromkeys(r["algorithm"] for r in results))
    fig, axes = plt.subplots(
        len(beliefs), len(algorithms), figsize=(5.5 * len(algorithms), 3.0 * len(beliefs)), squeeze=False
    )
    labels = {"known": "limit configured", "default": "not configured (believes 100/60 s)", "looser": "told 5x"}
    for r in results:
        ax = axes[beliefs.index(r["belief"])][algorithms.index(r["algorithm"])]
        times = [t for t, _ in r["timeline"]]
        statuses = [s for _, s in r["timeline"]]
        title = (
            f"{labels.get(r['belief'], r['belief'])}, {r['algorithm']}-window server: "
            f"{r['share_of_limit'] * 100:.0f} % of limit, {r['rejected']} x 429"
        )
        _timeline_axes(ax, title, times, statuses, r["limit"], r["period"])
        if "measured_until" in r:
            ax.axvline(r["measured_until"], color="tab:gray", ls=":", lw=1.2, label="end of the measured run")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        "4 threads sharing one CalendlyHook against the emulator (Calendly's 100/60 s scaled to 20/5 s)", fontsize=11
    )
    fig.tight_layout()
    return _save(fig, "ratelimit_calls_per_second.png")


def draw_workers() -> Path | None:
    """The same view for ``bench_workers`` (many processes, one token), one panel per configuration."""
    data = _load("bench_workers")
    try:
        configs = data["configurations"]
        panels = [
            (c.get("name", f"{c.get('workers')} workers"), c["times"], c["statuses"], c["limit"], c["period"])
            for c in configs
        ]
    except (TypeError, KeyError):
        return None
    if not panels:
        return None
    plt = _pyplot()
    cols = 2
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.0 * rows), squeeze=False)
    for ax, (name, times, statuses, limit, period) in zip(axes.flat, panels, strict=False):
        ok = sum(1 for s in statuses if s != 429)
        _timeline_axes(ax, f"{name}: {ok} ok, {len(statuses) - ok} x 429", times, statuses, limit, period)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Worker processes sharing one token (emulator enforcing the limit)", fontsize=11)
    fig.tight_layout()
    return _save(fig, "workers_calls_per_second.png")


def draw_fanout() -> Path | None:
    """Invitee listings completed over time: sequential vs bounded concurrency, with each bound's slope."""
    data = _load("bench_fanout")
    if not data:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    runs = [data["sequential"], *data["concurrent"]]
    colors = ["tab:gray", "tab:blue", "tab:green", "tab:purple", "tab:orange"]
    top = 0
    for run, color in zip(runs, colors, strict=False):
        times = sorted(t for t, _status, invitee in run["timeline"] if invitee)
        if not times:
            continue
        start = times[0] - data["latency"]
        xs = [0.0] + [t - start for t in times]
        top = max(top, len(times))
        label = f"max_concurrency={run['concurrency']}: {run['rate']:.0f} calls/s ({run['share_of_bound'] * 100:.0f} % of bound)"
        ax.step(xs, range(len(xs)), where="post", color=color, lw=1.6, label=label)
        end = min(xs[-1], len(times) * 1.1 / run["bound"])
        ax.plot([0, end], [0, run["bound"] * end], color=color, ls=":", lw=1.2)
    ax.set_ylim(0, top * 1.08)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds since the first invitee listing")
    ax.set_ylabel("invitee listings completed")
    ax.set_title(f"Invitee fan-out at {data['latency'] * 1000:.0f} ms per call (dotted: the bound)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, "fanout_progress.png")


def draw_rss() -> Path | None:
    """Peak RSS of a full synthetic sync against the number of invitees, per warehouse."""
    data = _load("bench_load")
    memory = (data or {}).get("memory")
    if not memory:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for result in memory.values():
        by_kind.setdefault(result["warehouse"], []).append(result)
    highest = 300.0
    colors = {"sqlite": "tab:green", "duckdb": "tab:blue", "postgres": "tab:purple"}
    for kind, results in sorted(by_kind.items()):
        results.sort(key=lambda r: r["invitees"])
        ns = [r["invitees"] for r in results]
        peaks = [r["peak_rss_during_sync_mb"] for r in results]
        highest = max(highest, *peaks)
        color = colors.get(kind, "tab:gray")
        ax.plot(ns, peaks, "o-", color=color, lw=1.6, label=f"{kind}: peak during the sync")
        for n, peak in zip(ns, peaks, strict=True):
            ax.annotate(f"{peak:.0f}", (n, peak), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
        before = [r["rss_before_sync_mb"] for r in results]
        ax.plot(ns, before, ".:", color=color, lw=1, label=f"{kind}: before the sync (imports)")
    ax.axhline(300, color="tab:red", ls="--", lw=1.2, label="goal: 300 MB")
    ax.set_xscale("log")
    ax.set_ylim(0, highest * 1.5)
    ax.set_xlabel("invitees synced (log)")
    ax.set_ylabel("RSS, MB")
    ax.set_title("Peak memory of a full synthetic sync vs its size", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, "rss_vs_invitees.png")


def draw_incremental() -> Path | None:
    """Calls per daily incremental pass of each scheme and its lower bound, over the simulated days."""
    data = _load("bench_incremental")
    passes = (data or {}).get("passes")
    if not passes:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    days = [p["day"] for p in passes]
    for key, label, style in (
        ("all", "invitee_refresh='all' (previous scheme)", "o-"),
        ("reconcile", "reconcile", "s-"),
        ("reconcile_lower_bound", "reconcile's lower bound (+ refresh window)", "s:"),
        ("webhook", "webhook capture", "^-"),
        ("webhook_lower_bound", "webhook capture's lower bound (+ reconfirmed events)", "^:"),
        ("lower_bound", "any scheme's lower bound (listing + changed events)", "k--"),
    ):
        ax.plot(days, [p[key] for p in passes], style, lw=1.4, ms=4, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("simulated day (one incremental pass each)")
    ax.set_ylabel("API calls per pass (log)")
    ax.set_title(f"Daily incremental passes, {data.get('preset')} organization", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, "incremental_calls_per_pass.png")


def _save(fig: Any, name: str) -> Path:
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / name
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def draw_all() -> list[Path]:
    """Draw every plot whose data exists; return the PNGs written."""
    paths = []
    for draw in (draw_ratelimit, draw_workers, draw_fanout, draw_rss, draw_incremental):
        try:
            path = draw()
        except Exception as exc:  # a plot must never hide the table
            print(f"  plot {draw.__name__} failed: {type(exc).__name__}: {exc}", flush=True)
            continue
        if path is not None:
            paths.append(path)
    return paths
