"""Meeting recap actions: edit the highlights, delete (already gone is done)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.client.params import check_recap_highlights
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyDeleteMeetingRecapOperator", "CalendlyUpdateMeetingRecapOperator"]


class CalendlyUpdateMeetingRecapOperator(CalendlyBaseOperator):
    """Edit a Notetaker recap's highlights; the others stay. Sending the same edit again is harmless.

    :param meeting_recap: The recap's UUID or URI. (templated)
    :param highlights: Any of ``summary_md``, ``action_items_md``, ``discussion_md`` (Markdown; ``None``
        clears one). (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("meeting_recap", "highlights", "calendly_conn_id")

    def __init__(self, *, meeting_recap: str, highlights: dict[str, str | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(highlights, dict):
            check_recap_highlights(highlights)
        self.meeting_recap = meeting_recap
        self.highlights = highlights

    def execute(self, context: Context) -> dict[str, Any]:
        return self.hook.update_meeting_recap(self.meeting_recap, **self.highlights).model_dump(mode="json")


class CalendlyDeleteMeetingRecapOperator(CalendlyBaseOperator):
    """Delete a Notetaker recap (and its transcript); one already gone is success.

    :param meeting_recap: The recap's UUID or URI. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("meeting_recap", "calendly_conn_id")

    def __init__(self, *, meeting_recap: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.meeting_recap = meeting_recap

    def execute(self, context: Context) -> dict[str, Any]:
        uri = self.hook.resource_uri("meeting_recaps", self.meeting_recap)
        return {"meeting_recap": uri, "deleted": self.hook.remove_meeting_recap(uri)}
