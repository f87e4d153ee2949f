"""One row per measured goal, and the ``benchmarks/RESULTS.md`` table ``make bench`` writes from them.

Every benchmark module exposes ``collect(argv: list[str] | None = None) -> list[Row]`` (and ``main(argv)``
for running it alone); ``python -m benchmarks`` gathers the rows of all of them into one table, so each
figure stands next to the baseline that was measured in the same run.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PLOTS = HERE / "plots"


@dataclass(frozen=True)
class Row:
    """One measured figure against its same-run baseline and its goal.

    :param metric: What was measured, e.g. ``"load rows/s, PostgreSQL"``.
    :param ours: The provider's figure.
    :param baseline: What it is compared against, measured in the same run (``None``: the goal is absolute).
    :param unit: Unit of ``ours`` and ``baseline``.
    :param goal: The goal in words, e.g. ``"ratio >= 20"`` or ``"<= 300 MB"``.
    :param passed: Whether the goal was met.
    :param ratio: ``ours / baseline`` unless the metric defines it otherwise (e.g. share of the limit).
    :param note: Anything a reader needs to read the figure right.
    """

    metric: str
    ours: float
    baseline: float | None
    unit: str
    goal: str
    passed: bool
    ratio: float | None = None
    note: str = ""

    @property
    def effective_ratio(self) -> float | None:
        if self.ratio is not None:
            return self.ratio
        if self.baseline:
            return self.ours / self.baseline
        return None


def machine() -> str:
    """A one-line description of where the numbers were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def render(rows: Iterable[Row], plots: Iterable[Path] = (), *, seconds: float | None = None) -> str:
    """Render the RESULTS.md text: the table, then the plots."""
    rows = list(rows)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `make bench` on {when}, commit `{_commit()}`, on {machine()}"
        + (f", in {seconds:.0f} s." if seconds is not None else "."),
        "Every baseline was measured in the same run, against the bundled emulator over loopback.",
        "",
        *table_lines(rows),
    ]
    passed = sum(r.passed for r in rows)
    lines += ["", f"{passed} of {len(rows)} goals met.", ""]
    for plot in plots:
        rel = plot.relative_to(HERE) if plot.is_relative_to(HERE) else plot
        lines += [f"![{plot.stem}]({rel})", ""]
    return "\n".join(lines)


def table_lines(rows: Iterable[Row]) -> list[str]:
    """The Markdown table of ``rows`` (header included)."""
    lines = [
        "| metric | ours | baseline | unit | ratio | goal | pass | note |",
        "|---|---:|---:|---|---:|---|:---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.metric} | {_fmt(row.ours)} | {_fmt(row.baseline)} | {row.unit} | {_fmt(row.effective_ratio)} "
            f"| {row.goal} | {'pass' if row.passed else '**FAIL**'} | {row.note} |"
        )
    return lines


SECTION_MARK = "<!-- section: "


def _sections(text: str) -> dict[str, str]:
    """The named sections (``<!-- section: NAME -->`` to the next mark) other runs appended to RESULTS.md."""
    found: dict[str, str] = {}
    for chunk in text.split(SECTION_MARK)[1:]:
        name, _, body = chunk.partition(" -->")
        found[name.strip()] = body.strip("\n")
    return found


def _join(main: str, sections: dict[str, str]) -> str:
    parts = [main.rstrip("\n")] + [f"{SECTION_MARK}{name} -->\n{body}" for name, body in sections.items()]
    return "\n\n".join(parts) + "\n"


def write(rows: Iterable[Row], plots: Iterable[Path] = (), *, seconds: float | None = None) -> Path:
    """Rewrite the benchmark table, keeping the named sections other runs wrote (:func:`write_section`)."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    RESULTS.write_text(_join(render(rows, plots, seconds=seconds), _sections(old)))
    return RESULTS


def write_section(name: str, body: str) -> Path:
    """Replace (or append) one named section of RESULTS.md, leaving the table and other sections alone."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    main = old.split(SECTION_MARK, 1)[0]
    sections = _sections(old)
    sections[name] = body.strip("\n")
    RESULTS.write_text(_join(main, sections))
    return RESULTS


def print_rows(rows: Iterable[Row]) -> None:
    for row in rows:
        ratio = row.effective_ratio
        print(
            f"  {'PASS' if row.passed else 'FAIL'}  {row.metric}: {_fmt(row.ours)} {row.unit}"
            + (f" vs {_fmt(row.baseline)}" if row.baseline is not None else "")
            + (f" (ratio {_fmt(ratio)})" if ratio is not None else "")
            + f"; goal {row.goal}"
            + (f"; {row.note}" if row.note else ""),
            flush=True,
        )


def run_standalone(collect: Callable[[list[str] | None], list[Row]], argv: list[str] | None = None) -> int:
    """Run one benchmark module on its own: print its rows; exit status 1 if any goal was missed (or none ran)."""
    rows = collect(argv)
    print_rows(rows)
    return 0 if rows and all(row.passed for row in rows) else 1
