"""``[core] hostname_callable`` for the distributed test: each service process names itself.

Every process of the deployment runs on this one machine; a distinct name per process (``worker-1``,
``triggerer-2``…) is how the test tells from Airflow's own tables which worker ran a task try and which
triggerer holds a trigger.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    """Return ``CALENDLY_DIST_HOSTNAME`` if set, else the machine's name."""
    return os.environ.get("CALENDLY_DIST_HOSTNAME") or socket.getfqdn()
