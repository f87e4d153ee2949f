"""The base of the Calendly operators: the connection id and the hook, built once per task."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_calendly.hooks.calendly import CalendlyHook

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyBaseOperator", "try_number"]


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


def try_number(context: Context) -> int:
    """The task instance's try (1 on the first run): a write action looks for its effect first on a retry."""
    ti = context.get("ti") if hasattr(context, "get") else None
    number = getattr(ti, "try_number", 1) if ti is not None else 1
    return number if isinstance(number, int) else 1
