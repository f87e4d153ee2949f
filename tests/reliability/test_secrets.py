"""The token and the webhook signing key never leak: not in task logs, exceptions, reprs, rendered template
fields, XComs, nor the emulator's logs — checked by scanning everything full ``dag.test()`` runs produce."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from tests.conftest import example_dag
from tests.reliability.conftest import SIGNING_KEY, TOKEN

SECRETS = (TOKEN, SIGNING_KEY)


@pytest.fixture
def secret_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=5, token=TOKEN, scheduled_events=12) as emu:
        conn = emu.connection_json(max_retries=1, timeout=2, webhook_signing_key=SIGNING_KEY)
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", conn)
        yield emu


def _run_artifacts(dag_run: Any) -> list[str]:
    """Everything a run persisted: XComs, rendered template fields, task instance notes and states."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    out: list[str] = []
    with create_session() as session:
        xcoms = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id)).all()
        out += [json.dumps(XComModel.deserialize_value(x), default=str) for x in xcoms]
        rtifs = session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id).all()
        out += [json.dumps(r.rendered_fields, default=str) for r in rtifs]
        assert rtifs, "no rendered template fields were stored: nothing was scanned"
        out += [repr(ti.__dict__) for ti in dag_run.get_task_instances(session=session)]
    assert xcoms, "the run pushed no XCom: nothing was scanned"
    return out


def _log_files(airflow_home: Path) -> str:
    logs = airflow_home / "logs"  # dag.test() logs to stdout; task log files are scanned when there are any
    return "\n".join(p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()) if logs.exists() else ""


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (
                f"secret leaked: ...{text[max(0, text.find(secret) - 200) : text.find(secret) + 50]}..."
            )


def test_actions_dag_leaks_nothing(
    airflow_db: Path,
    secret_emulator: CalendlyEmulator,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    invitee = next(i for invs in secret_emulator.data.invitees.values() for i in invs if i["no_show"] is None)
    with caplog.at_level(logging.DEBUG):
        run = example_dag("calendly_actions.py", "calendly_actions").test(run_conf={"invitee_uri": invitee["uri"]})
    assert str(run.state) == "success"
    out, err = capfd.readouterr()
    assert "mark_no_show" in out + err + caplog.text  # the capture did see the run
    _assert_clean(out, err, caplog.text, _log_files(airflow_db), *_run_artifacts(run))


def test_failing_run_leaks_nothing(
    airflow_db: Path,
    secret_emulator: CalendlyEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A task that fails (5xx, retries exhausted) logs a traceback and the typed error: still no secret."""
    secret_emulator.set_faults(next_errors=1000, error_statuses=[503])
    conn = secret_emulator.connection_json(max_retries=0, webhook_signing_key=SIGNING_KEY)
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", conn)
    with caplog.at_level(logging.DEBUG):
        run = example_dag("calendly_actions.py", "calendly_actions").test()
    assert str(run.state) == "failed"
    out, err = capfd.readouterr()
    everything = out + err + caplog.text
    assert "CalendlyServerError" in everything and "503" in everything  # the typed error was reported
    _assert_clean(out, err, caplog.text, _log_files(airflow_db))


def test_warehouse_dag_leaks_nothing(
    airflow_db: Path,
    secret_emulator: CalendlyEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "wh.db")})
    )
    with caplog.at_level(logging.DEBUG):
        run = example_dag("calendly_to_warehouse.py", "calendly_to_warehouse").test()
    assert str(run.state) == "success"
    out, err = capfd.readouterr()
    _assert_clean(out, err, caplog.text, _log_files(airflow_db), *_run_artifacts(run))
    _assert_clean((tmp_path / "wh.db").read_bytes().decode("latin-1"))  # nor in the warehouse's rows


def test_reprs_and_errors_leak_nothing(secret_emulator: CalendlyEmulator, caplog: pytest.LogCaptureFixture) -> None:
    hook = CalendlyHook()
    settings = hook.settings
    _assert_clean(
        repr(hook),
        str(hook.__dict__),
        repr(settings),
        str(settings),
        json.dumps(settings.model_dump(mode="json")),
        repr(hook.session.auth),
        repr(hook.session.__dict__),
    )
    secret_emulator.set_faults(next_errors=10, error_statuses=[502])
    with caplog.at_level(logging.DEBUG), pytest.raises(CalendlyAPIError) as caught:
        hook.get_current_user()
    error = caught.value
    _assert_clean(str(error), repr(error), repr(error.__dict__), repr(pickle.loads(pickle.dumps(error)).__dict__))
    _assert_clean(caplog.text)  # the hook's retry logs and the emulator's own log
    _assert_clean(repr(secret_emulator.requests), json.dumps(secret_emulator.stats()))


def test_connection_test_button_leaks_nothing(
    secret_emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok, message = CalendlyHook().test_connection()
    assert ok
    secret_emulator.set_faults(next_errors=10)
    ok, message = CalendlyHook().test_connection()
    assert not ok
    _assert_clean(message)
