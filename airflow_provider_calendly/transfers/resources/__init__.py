"""How each resource other than scheduled events and invitees is read, plus skips and deletion sweeps.

:class:`ResourceReader` is used by :class:`~airflow_provider_calendly.transfers.sync.CalendlySqlSync`: it
reads one resource at a time and writes its rows through the table writer's public methods.

How each resource is read
-------------------------
=============================  ============================================================================
``event_types``                every page of ``/event_types``; re-read in full
``users``,                     every page of ``/organization_memberships`` (one listing serves both, the
``organization_memberships``   users are embedded); re-read in full
``groups``                     ``/groups`` and ``/group_relationships``; re-read in full
``routing_forms``              ``/routing_forms`` of the organization (questions embedded); re-read in full
``routing_form_submissions``   ``/routing_form_submissions?form=…`` per form, newest first, stopping at the
                               first one created before the form's window (incremental)
``activity_log``               ``/activity_log_entries`` sorted by ``occurred_at`` from the window's start
                               (incremental; Enterprise plan)
``availability_schedules``     ``/user_availability_schedules?user=…`` per member (the membership listing)
``event_type_hosts``           ``/event_type_memberships?event_type=…`` per event type (the event type
                               listing, shared with ``event_types``)
``organization``               ``/organizations/{uuid}``: one call
``organization_invitations``   ``/organizations/{uuid}/invitations``; re-read in full
``locations``                  ``/locations?user=…`` per member; re-read in full
``busy_times``                 ``/user_busy_times?user=…`` per member, from now to ``busy_times_horizon``
                               ahead in 7-day calls; the rows of that window are re-read (opt-in)
``outgoing_communications``    ``/outgoing_communications`` from the window's start by ``created_at``
                               (incremental; Enterprise plan; opt-in)
``contacts``                   ``/contacts`` newest ``updated_at`` first, stopping at the window's start
                               (incremental); ``/contacts/custom_field_definitions`` re-read in full
``contact_lists``              ``/contact_lists`` and, per List, ``/contacts?contact_list=…`` (its members);
                               re-read in full (a View's contacts are its filters' matches: not read)
``meeting_recaps``             ``/meeting_recaps`` of meetings ending from the window's start (incremental);
                               ``/meeting_recaps/{uuid}`` only for a recap new or changed in the listing, and
                               ``…/transcript`` (``include_transcripts``) only for one not stored yet
=============================  ============================================================================

Contacts, Lists and recaps are the token's user's: Calendly returns what that user can see, whatever
organization or user the sync names.

Where each part lives
---------------------
* :mod:`~.reader`: :class:`ResourceReader`, each area's reads composed, and what runs one resource;
* :mod:`~.scope`: the sync's scope, the listings read once (a listing two resources need: memberships, event
  types, routing forms), and skips (a resource the plan or the token does not allow);
* :mod:`~.sweeps`: writing in chunks, and the deletion sweeps of what a complete read did not see;
* :mod:`~.incremental`: the rules of incremental resources (a ``sync_state`` pass per table and scope);
* one module per area: :mod:`~.scheduling` (event types, hosts, availability, locations, busy times),
  :mod:`~.organization` (users, memberships, groups, the organization, invitations, activity log, outgoing
  communications), :mod:`~.routing` (routing forms, submissions), :mod:`~.people` (contacts, Lists, recaps).
"""

from __future__ import annotations

from airflow_provider_calendly.transfers.config import DELETIONS, validate_deletions
from airflow_provider_calendly.transfers.deletions import sweep_deletions
from airflow_provider_calendly.transfers.resources.reader import ResourceReader
from airflow_provider_calendly.transfers.resources.scope import SKIP_STATUSES, Scope

# DELETIONS, validate_deletions and sweep_deletions are re-exported: they were public here before they moved.
__all__ = ["DELETIONS", "SKIP_STATUSES", "ResourceReader", "Scope", "sweep_deletions", "validate_deletions"]
