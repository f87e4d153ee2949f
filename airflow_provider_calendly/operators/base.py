"""The base of the Calendly operators: the connection id and the hook, built once per task."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_calendly.hooks.calendly import CalendlyHook

__all__ = ["CalendlyBaseOperator"]


class CalendlyBaseOperator(BaseOperator):
    """The base of the Calendly operators: the connection id and a lazily built hook.

    :param calendly_conn_id: The ``calendly`` connection. (templated in the subclasses)
    """

    def __init__(self, *, calendly_conn_id: str = CalendlyHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calendly_conn_id = calendly_conn_id

    @cached_property
    def hook(self) -> CalendlyHook:
        return CalendlyHook(calendly_conn_id=self.calendly_conn_id)
