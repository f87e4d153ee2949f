"""What an operator uses of the task instance in its context, recorded: ``xcom_push`` (for narrow unit tests;
the browser test in tests/ui reads the same XComs back from a real Airflow)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["RecordingTaskInstance"]


class RecordingTaskInstance:
    """Records every ``xcom_push``, in order, as the JSON an XCom stores (a value that is not JSON-safe fails)."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, Any]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append((key, json.loads(json.dumps(value))))

    def last(self, key: str) -> Any:
        """The value last pushed under ``key``."""
        return [value for pushed, value in self.pushed if pushed == key][-1]
