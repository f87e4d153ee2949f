"""Calendly webhooks: signature verification, the durable inbox and the receiver app.

Import the pieces from their modules (``signature``, ``inbox``, ``app``); this package imports nothing heavy so
the triggerer and workers can load the trigger without FastAPI.
"""

from __future__ import annotations
