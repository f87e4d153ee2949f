"""Benchmarks of airflow-provider-calendly (``make bench`` runs every ``bench_*`` module)."""

from __future__ import annotations
