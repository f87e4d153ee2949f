"""An auth manager with per-DAG permissions for the page's tests: Airflow's SimpleAuthManager, plus one rule.

DAGs whose id starts with :data:`PRIVATE_PREFIX` are readable by admins only, the way FAB or Keycloak grant some
users only some DAGs (SimpleAuthManager's roles cover every DAG alike). Everything else, login included, is
SimpleAuthManager's own.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

PRIVATE_PREFIX = "private_"


class PrivateDagsAuthManager(SimpleAuthManager):
    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        dag_id = getattr(details, "id", None) or ""
        if dag_id.startswith(PRIVATE_PREFIX) and not self._is_admin(user):
            return False
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)
