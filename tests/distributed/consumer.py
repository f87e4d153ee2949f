"""A watcher process for the distributed test: run the AssetWatcher trigger and claim what it hands out.

``python -m tests.distributed.consumer CONSUMER`` prints one line per event: ``<inbox id> <claimed 0/1>``.
"""

from __future__ import annotations

import asyncio
import sys

from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger
from airflow_provider_calendly.webhooks.inbox import WebhookInbox


async def main(consumer: str) -> None:
    trigger = CalendlyWebhookTrigger(consumer=consumer, after_id=0, poll_interval=0.05)
    inbox = WebhookInbox.from_conn_id()
    async for event in trigger.run():
        claimed = inbox.claim(f"{consumer}-task", [event.payload["delivery_id"]])
        print(event.payload["id"], len(claimed), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
