"""The faults the emulator injects on request: 5xx, 429 storms, dropped connections, latency, bad bodies, pages.

:class:`FaultConfig` is what a test asks for (``emulator.set_faults(next_errors=2)``, ``POST /_emulator/faults``):
counts (``next_*``) are consumed one call at a time, rates draw from a seeded random generator, and
``path_prefix`` limits every fault to matching paths. :class:`Faults` draws them, thread-safely.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["FaultConfig", "Faults"]


@dataclass
class FaultConfig:
    """Faults to inject; counts (``next_*``) are consumed one call at a time, rates draw from a seeded RNG.

    ``path_prefix`` limits every fault to matching paths.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    next_errors: int = 0
    rate_limit_storm: int = 0
    storm_headers: bool = True
    drop_rate: float = 0.0
    next_drops: int = 0
    drop_after_commit: int = 0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    next_malformed: int = 0
    latency: float = 0.0
    slow_response: float = 0.0
    next_slow: int = 0
    repeat_page_token: bool = False
    empty_page_with_token: int = 0
    path_prefix: str | None = None
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(values["error_statuses"])
        return cls(**values)


#: Counted faults in the order they are drawn: (the ``FaultConfig`` counter, the fault it causes).
#: ``drop_after_commit`` only hits writes (POST, PATCH, DELETE).
_COUNTED_FAULTS: tuple[tuple[str, str], ...] = (
    ("rate_limit_storm", "storm"),
    ("next_errors", "error"),
    ("next_drops", "drop"),
    ("drop_after_commit", "drop_after_commit"),
    ("next_malformed", "malformed"),
    ("next_slow", "slow"),
)
#: Random faults, drawn after the counted ones: (the ``FaultConfig`` probability, the fault it causes).
_RATE_FAULTS: tuple[tuple[str, str], ...] = (
    ("error_rate", "error"),
    ("drop_rate", "drop"),
    ("malformed_rate", "malformed"),
    ("truncated_rate", "truncated"),
)


class Faults:
    """The current :class:`FaultConfig` and the draws from it (one lock, one seeded generator)."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.config = config
        self._rng = random.Random(config.seed)

    def replace(self, config: FaultConfig) -> None:
        """Use ``config`` from now on (its ``seed`` restarts the random draws)."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def _applies(self, path: str) -> bool:
        prefix = self.config.path_prefix
        return not prefix or path.startswith(prefix)

    def draw(self, method: str, path: str) -> str | None:
        """Decide which fault (if any) this call suffers, consuming counted faults."""
        with self._lock:
            config = self.config
            if not self._applies(path):
                return None
            for counter, fault in _COUNTED_FAULTS:
                if getattr(config, counter) > 0 and (
                    fault != "drop_after_commit" or method in {"POST", "PATCH", "DELETE"}
                ):
                    setattr(config, counter, getattr(config, counter) - 1)
                    return fault
            for rate, fault in _RATE_FAULTS:
                probability = getattr(config, rate)
                if probability and self._rng.random() < probability:
                    return fault
            return None

    def error_status(self) -> int:
        with self._lock:
            return self._rng.choice(self.config.error_statuses)

    def take_empty_page(self, path: str) -> bool:
        """Whether this listing answers an empty page that still carries a token (consumes one)."""
        with self._lock:
            if self.config.empty_page_with_token > 0 and self._applies(path):
                self.config.empty_page_with_token -= 1
                return True
            return False

    def repeats_page_token(self, path: str) -> bool:
        """Whether this listing hands back the token it was given instead of the next one."""
        return self.config.repeat_page_token and self._applies(path)
