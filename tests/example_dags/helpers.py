"""Load an example DAG the way Airflow does and read a run's task states: shared by the example DAG tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import EXAMPLE_DAGS


def load_example_dag(file_name: str, dag_id: str) -> Any:
    """Parse ``example_dags/<file_name>`` into a DagBag, require no import error, return the DAG ``dag_id``."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(EXAMPLE_DAGS / file_name))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def task_states(dag_run: Any) -> dict[str, str]:
    """Each task's final state in ``dag_run``, by task id."""
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances(session=session)}


def xcom(dag_run: Any, dag_id: str, task_id: str) -> Any:
    """The ``return_value`` XCom of ``task_id`` in ``dag_run``."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_id, task_ids=task_id, key="return_value")
        rows = session.scalars(query).all()
    return XComModel.deserialize_value(rows[0])
