"""What the emulator's contacts, meeting recaps and Shares share: the token's user, seeded ids, lookups, the clock.

The three parts (:mod:`~airflow_provider_calendly.testing.contacts`,
:mod:`~airflow_provider_calendly.testing.meeting_recaps`, :mod:`~airflow_provider_calendly.testing.shares`) build
on :class:`PeopleBase`; :class:`~airflow_provider_calendly.testing.people.EmulatorPeople` composes them.
"""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError
from airflow_provider_calendly.uris import uuid_from_uri

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.world import World

__all__ = ["PeopleBase"]


class PeopleBase:
    """The token's user (every token is the first user's) and what its contacts, recaps and Shares are made with.

    :param world: The emulated organization (its clock stamps changes; its listeners get the webhooks).
    :param seed: Seed of the data (same seed, same people).
    """

    def __init__(self, world: World, *, seed: int) -> None:
        self._world = world
        self.state = world.state
        data = self.state.data
        self.owner: dict[str, Any] = data.users[0]
        self._root = data.organization["uri"].rsplit("/organizations/", 1)[0]
        self._rng = random.Random(f"people-{seed}")

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _uri(self, collection: str, item_id: str | None = None) -> str:
        return f"{self._root}/{collection}/{item_id or self._id()}"

    def _now(self) -> str:
        return iso(self._world.now())

    def hosts(self, event: dict[str, Any]) -> bool:
        """Whether the token's user hosts the scheduled event ``event``."""
        return any(m["user"] == self.owner["uri"] for m in event["event_memberships"])

    def find(self, items: list[dict[str, Any]], item_uuid: str) -> dict[str, Any]:
        """The item of ``items`` whose URI ends in ``item_uuid``; 404 if none does."""
        found = next((i for i in items if uuid_from_uri(i["uri"]) == item_uuid), None)
        if found is None:
            raise ApiError(404)
        return found
