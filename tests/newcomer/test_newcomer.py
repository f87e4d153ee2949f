"""A newcomer's first hour: the README and every guide, executed literally from a pip-installed wheel.

What the test does is what a user does, and nothing more:

1. builds the wheel (``uv build``, as ``make build`` does) and installs it into a fresh virtualenv outside the
   repository, with the extras the docs' install blocks name;
2. activates that venv (its ``bin`` first on ``PATH``), takes a fresh, empty ``AIRFLOW_HOME`` and a fresh,
   empty working directory;
3. reads ``README.md``, then the guides in the order the README's *Guides* section lists them, and runs every
   ``bash``/``sh`` and ``python`` code block in order, as one reader in one terminal would: shell blocks share
   one shell (exports and ``cd`` carry over), the ``python`` blocks of one document share one interpreter (a
   new one per document) that sees the shell's exported variables as they are when each block runs.

Conventions for writers (an HTML comment on the line before a block, invisible when rendered):

- ``<!-- newcomer: skip (why) -->``: not run. The reason is required; keep these few (a real Calendly token, a
  full Airflow deployment, a command that needs a clone of this repository).
- ``<!-- newcomer: background -->``: a server the doc says to run in a second terminal. It is started in the
  background in the shell's state; the next block runs once it has printed its first line; it is stopped at the
  end.
- ``<!-- newcomer: install -->``: a ``pip install`` block. Before the first document, the built wheel is
  installed once with the union of the extras such blocks name; the block itself is then passed over.
- ```` ```python file=dags/x.py ````: the reader saves the block as that file (relative to the shell's
  working directory) instead of running it.
- ``<!-- doc-test: needs postgres -->`` anywhere in a document: the reader has a PostgreSQL; before the
  document's first block ``AIRFLOW_CONN_POSTGRES_DEFAULT`` is exported pointing at a scratch database of the
  local server (the doc's own export line has placeholder credentials and is skipped).

Dependency versions: the docs name none, so any allowed version must do; the install is pinned to the versions
of the suite's own venv (which ``make install`` installs from ``constraints.txt``) so that it comes from uv's
cache and cannot turn red when a dependency releases. The newest versions are ``make compat-newest``'s job.
The emulator the README starts listens on its documented port, 8765: a lock file serializes two runs on one
machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from tests import processes
from tests.conftest import REPO_ROOT
from tests.docs.test_docs import FENCE

pytestmark = pytest.mark.integration

README = REPO_ROOT / "README.md"
MARKER = re.compile(r"^<!--\s*newcomer:\s*(?P<kind>skip|background|install)\b\s*(?P<rest>.*?)\s*-->\s*$")
EXTRAS = re.compile(r"airflow-provider-calendly\[(?P<extras>[\w,-]+)\]")
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
EMULATOR_PORT = 8765
BLOCK_TIMEOUT = 240.0
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class DocBlock:
    doc: str
    line: int  # 1-based line of the block's first code line
    language: str
    file: str | None
    marker: str | None  # skip, background, install, or None (run)
    reason: str
    code: str


def doc_blocks(path: Path) -> list[DocBlock]:
    """Every ``python`` and shell block of a Markdown file, with the newcomer marker on the line before it."""
    text = path.read_text()
    doc = str(path.relative_to(REPO_ROOT))
    found = []
    for match in FENCE.finditer(text):
        info = match["info"].split()
        language = info[0] if info else ""
        if language != "python" and language not in SHELL_LANGUAGES:
            continue
        before = [row.strip() for row in text[: match.start()].splitlines() if row.strip()]
        marker = MARKER.match(before[-1]) if before else None
        file = next((o.removeprefix("file=") for o in info[1:] if o.startswith("file=")), None)
        body = "\n".join(row[len(match["indent"]) :] for row in match["body"].splitlines()) + "\n"
        found.append(
            DocBlock(
                doc=doc,
                line=text.count("\n", 0, match.start("body")) + 1,
                language=language,
                file=file,
                marker=marker["kind"] if marker else None,
                reason=marker["rest"].strip("() ") if marker else "",
                code=body,
            )
        )
    return found


def journey() -> list[Path]:
    """README.md, then the guides in the order its *Guides* section lists them."""
    text = README.read_text()
    section = text[text.index("\n## Guides") :]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    guides = list(dict.fromkeys(re.findall(r"\]\((docs/[\w.-]+\.md)\)", section)))
    return [README, *(REPO_ROOT / g for g in guides)]


# --- static checks of the convention (instant) ---------------------------------------------------------------


def test_every_guide_is_on_the_journey() -> None:
    assert {p.name for p in journey()[1:]} == {p.name for p in (REPO_ROOT / "docs").glob("*.md")}, (
        "list every docs/*.md in the README's Guides section: that is the order a newcomer reads them in"
    )


@pytest.mark.parametrize("doc", journey(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_blocks_follow_the_convention(doc: Path) -> None:
    for block in doc_blocks(doc):
        where = f"{block.doc}:{block.line}"
        if block.marker == "skip":
            assert block.reason, f"{where}: say why the newcomer test skips this block: skip (reason)"
        installs = "pip install" in block.code
        assert installs == (block.marker == "install"), (
            f"{where}: a pip install block is marked <!-- newcomer: install --> (and only such a block)"
        )
        if block.marker == "install":
            assert EXTRAS.search(block.code) or "pip install airflow-provider-calendly" in block.code, where
        if block.marker == "background":
            assert block.language in SHELL_LANGUAGES, f"{where}: only a shell block can run in the background"
        assert block.file is None or block.language == "python", where


def test_marker_parser() -> None:
    assert MARKER.match("<!-- newcomer: skip (needs a real Calendly token) -->")["rest"] == (  # type: ignore[index]
        "(needs a real Calendly token)"
    )
    assert MARKER.match("<!-- newcomer: background -->")["kind"] == "background"  # type: ignore[index]
    assert MARKER.match("<!-- newcomer: run me -->") is None


# --- the journey ----------------------------------------------------------------------------------------------

PY_WORKER = r"""
import json, os, sys, traceback

replies = os.fdopen(int(sys.argv[1]), "w")
namespace = {"__name__": "__main__"}
for raw in sys.stdin:
    command = json.loads(raw)
    for key in command["unset"]:
        os.environ.pop(key, None)
    os.environ.update(command["set"])
    try:
        # Pad with blank lines so tracebacks show the line number inside the Markdown file.
        exec(compile("\n" * (command["line"] - 1) + command["code"], command["doc"], "exec"), namespace)
        ok = True
    except BaseException:
        traceback.print_exc()
        ok = False
    sys.stdout.flush()
    sys.stderr.flush()
    replies.write(json.dumps({"ok": ok}) + "\n")
    replies.flush()
"""

# The shell block, then its environment and working directory written back for the next block.
SHELL_WRAPPER = """trap 'rc=$?; env -0 > "$1"; pwd > "$2"; exit $rc' EXIT
set -e
{code}"""


class Reader:
    """One reader at one terminal: a shell state, a Python per document, servers in second terminals."""

    def __init__(self, work: Path, env: dict[str, str], scratch: Path, log: IO[str]) -> None:
        self.cwd = work
        self.env = env
        self.scratch = scratch
        self.log = log
        self.python: subprocess.Popen[str] | None = None
        self.python_replies: IO[str] | None = None
        self.python_env: dict[str, str] = {}
        self.background: list[subprocess.Popen[str]] = []
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self.log.write(f"\n=== [{time.monotonic() - self.started:6.1f} s] {text}\n")
        self.log.flush()

    def shell(self, block: DocBlock) -> None:
        script = self.scratch / "block.sh"
        script.write_text(SHELL_WRAPPER.format(code=block.code))
        env_file, pwd_file = self.scratch / "env", self.scratch / "pwd"
        proc = subprocess.run(
            ["bash", str(script), str(env_file), str(pwd_file)],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            timeout=BLOCK_TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, f"{block.doc}:{block.line}: shell block exited with {proc.returncode}"
        pairs = [item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item]
        self.env = {k: v for k, v in pairs if k not in {"_", "SHLVL", "OLDPWD", "PWD"}}
        self.cwd = Path(pwd_file.read_text().strip())

    def start_background(self, block: DocBlock) -> None:
        proc = processes.spawn(
            ["bash", "-c", block.code],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.background.append(proc)
        ready = threading.Event()
        assert proc.stdout is not None
        stream = proc.stdout

        def pump() -> None:
            for line in stream:
                self.log.write(f"[background] {line}")
                self.log.flush()
                ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        assert ready.wait(READY_TIMEOUT), f"{block.doc}:{block.line}: printed nothing in {READY_TIMEOUT:.0f} s"
        assert proc.poll() is None, f"{block.doc}:{block.line}: the server exited with {proc.returncode}"

    def run_python(self, block: DocBlock) -> None:
        if self.python is None:
            read_fd, write_fd = os.pipe()
            worker = self.scratch / "python_worker.py"
            worker.write_text(PY_WORKER)
            self.python = processes.spawn(
                ["python", "-u", str(worker), str(write_fd)],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                text=True,
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            self.python_replies = os.fdopen(read_fd)
            self.python_env = dict(self.env)
        assert self.python.stdin is not None and self.python_replies is not None
        # What the shell exported since this Python started (or since its last block), as a reader's Python
        # started from that shell would see it... had they restarted it: the harness only forwards changes.
        changed = {k: v for k, v in self.env.items() if self.python_env.get(k) != v}
        removed = [k for k in self.python_env if k not in self.env]
        self.python_env = dict(self.env)
        command = {"doc": block.doc, "line": block.line, "code": block.code, "set": changed, "unset": removed}
        self.python.stdin.write(json.dumps(command) + "\n")
        self.python.stdin.flush()
        reply = _read_line(self.python_replies, BLOCK_TIMEOUT)
        assert reply is not None, f"{block.doc}:{block.line}: Python block did not finish in {BLOCK_TIMEOUT:.0f} s"
        assert json.loads(reply)["ok"], f"{block.doc}:{block.line}: Python block raised (traceback in the log)"

    def end_python(self) -> None:
        if self.python is not None:
            assert self.python.stdin is not None and self.python_replies is not None
            self.python.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.python.wait(timeout=60)
            processes.stop(self.python)  # and whatever the document's Python started
            self.python_replies.close()
            self.python = None

    def stop(self) -> None:
        self.end_python()
        for proc in self.background:
            processes.stop(proc)


def _read_line(stream: IO[str], timeout: float) -> str | None:
    """One line from ``stream``, or None after ``timeout`` seconds (the reply pipe of the Python worker)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box and box[0] else None


@pytest.fixture
def machine_lock() -> Iterator[None]:
    """Serialize newcomer runs on one machine: the README's emulator listens on its documented port."""
    with open(Path(tempfile.gettempdir()) / "calendly-newcomer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            busy = probe.connect_ex(("127.0.0.1", EMULATOR_PORT)) == 0
        assert not busy, f"port {EMULATOR_PORT}, which the README's emulator uses, is taken by another program"
        yield


def _scratch_database(server_uri: str, request: pytest.FixtureRequest) -> str:
    """An empty PostgreSQL database for the reader's warehouse (dropped afterwards); return its URI."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"calendly_newcomer_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(server_uri, connect_timeout=5, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    request.addfinalizer(drop)
    return urlunsplit(urlsplit(server_uri)._replace(path=f"/{name}"))


def _install(venv: Path, wheel: Path, extras: set[str], scratch: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None, "uv not found: `make install` puts it in .venv/bin"
    freeze = subprocess.run(
        [uv, "pip", "freeze", "--python", sys.executable], capture_output=True, text=True, check=True
    ).stdout
    pins = [
        line
        for line in freeze.splitlines()
        if line and not line.startswith("-e") and "@ file:" not in line and "airflow-provider-calendly" not in line
    ]
    constraints = scratch / "suite-versions.txt"
    constraints.write_text("\n".join(pins) + "\n")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120)
    requirement = f"{wheel}[{','.join(sorted(extras))}]" if extras else str(wheel)
    proc = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            "--constraint",
            str(constraints),
            requirement,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"installing the wheel failed:\n{proc.stderr[-4000:]}"


@pytest.mark.timeout(900)
def test_a_newcomer_follows_the_docs(
    built_dist: dict[str, Path], tmp_path: Path, machine_lock: None, request: pytest.FixtureRequest
) -> None:
    docs = journey()
    blocks = {doc: doc_blocks(doc) for doc in docs}
    extras = {
        extra
        for doc_list in blocks.values()
        for block in doc_list
        if block.marker == "install"
        for match in EXTRAS.finditer(block.code)
        for extra in match["extras"].split(",")
    }
    started = time.monotonic()
    venv = tmp_path / "venv"
    scratch = tmp_path / "harness"
    scratch.mkdir()
    _install(venv, built_dist["wheel"], extras, scratch)
    installed = time.monotonic() - started

    home = tmp_path / "airflow-home"
    home.mkdir()
    work = tmp_path / "newcomer"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "PYTHONPATH", "PYTEST_"))}
    env.update(
        {  # what `source venv/bin/activate` and `export AIRFLOW_HOME=...` do
            "VIRTUAL_ENV": str(venv),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
        }
    )
    # Not a step, a check of the harness: `python` on the reader's PATH imports the wheel from the fresh venv.
    where = subprocess.run(
        ["python", "-c", "import airflow_provider_calendly as p; print(p.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), f"the docs would run {where}, not the installed wheel"
    log_path = tmp_path / "newcomer.log"
    timings: dict[str, float] = {}
    with log_path.open("w") as log:
        reader = Reader(work, env, scratch, log)
        try:
            for doc in docs:
                doc_started = time.monotonic()
                if "<!-- doc-test: needs postgres -->" in doc.read_text():
                    reader.env["AIRFLOW_CONN_POSTGRES_DEFAULT"] = _scratch_database(
                        request.getfixturevalue("postgres_uri"), request
                    )
                for block in blocks[doc]:
                    where = f"{block.doc}:{block.line}"
                    if block.marker in {"skip", "install"}:
                        reader.say(f"{where}: passed over ({block.marker} {block.reason})".rstrip())
                        continue
                    if block.file is not None:
                        reader.say(f"{where}: saved as {block.file}")
                        target = reader.cwd / block.file
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(block.code)
                    elif block.marker == "background":
                        reader.say(f"{where}: started in a second terminal")
                        reader.start_background(block)
                    elif block.language == "python":
                        reader.say(f"{where}: python")
                        reader.run_python(block)
                    else:
                        reader.say(f"{where}: shell")
                        reader.shell(block)
                reader.end_python()
                timings[str(doc.relative_to(REPO_ROOT))] = time.monotonic() - doc_started
        except (AssertionError, subprocess.TimeoutExpired) as failure:
            reader.stop()
            log.flush()
            pytest.fail(f"{failure}\n--- newcomer log (last 6000 characters):\n{log_path.read_text()[-6000:]}")
        finally:
            reader.stop()
    summary: dict[str, Any] = {"install_seconds": round(installed, 1), **{k: round(v, 1) for k, v in timings.items()}}
    print("newcomer timings:", json.dumps(summary))
