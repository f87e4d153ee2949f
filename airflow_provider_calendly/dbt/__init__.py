"""The Calendly dbt project that ships with the provider: staging models and analytics marts over the synced tables.

Point dbt (``dbt build --project-dir``) or astronomer-cosmos (``ProjectConfig``) at :data:`PROJECT_DIR`; the
README's "Analytics" section documents the models, their vars and every metric's definition. This module imports
nothing but the standard library.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROJECT_DIR", "PROJECT_NAME", "project_dir"]

#: The installed dbt project's directory (the one holding ``dbt_project.yml``).
PROJECT_DIR = Path(__file__).resolve().parent
#: The dbt project's name (the ``profile`` it asks for, and the namespace of its macros).
PROJECT_NAME = "calendly"


def project_dir() -> str:
    """Return the installed dbt project's directory as a string, for ``--project-dir`` or cosmos."""
    return str(PROJECT_DIR)
