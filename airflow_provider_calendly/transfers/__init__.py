"""Transfers from Calendly to other systems (a SQL warehouse, through common-sql)."""

from __future__ import annotations
