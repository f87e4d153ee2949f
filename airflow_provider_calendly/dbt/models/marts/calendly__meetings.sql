with invitee_counts as (
  select
    scheduled_event_uri,
    {{ calendly_count_if("status = 'active'") }} as active_invitees,
    {{ calendly_count_if("status = 'canceled'") }} as canceled_invitees,
    {{ calendly_count_if("status = 'active' and is_no_show") }} as no_shows,
    {{ calendly_count_if("old_invitee_uri is not null") }} as rescheduled_in,
    {{ calendly_count_if("is_rescheduled") }} as rescheduled_out
  from {{ ref('stg_calendly__invitees') }}
  group by scheduled_event_uri
),

host_counts as (
  select scheduled_event_uri, cast(count(distinct host_user_uri) as {{ dbt.type_bigint() }}) as hosts
  from {{ ref('stg_calendly__event_memberships') }}
  group by scheduled_event_uri
)

select
  events.scheduled_event_uri,
  events.event_type_uri,
  event_types.event_type_name,
  events.event_name,
  events.status,
  events.start_time,
  events.end_time,
  cast({{ dbt.datediff('events.start_time', 'events.end_time', 'minute') }} as {{ dbt.type_bigint() }}) as duration_minutes,
  events.created_at as booked_at,
  cast({{ dbt.datediff('events.created_at', 'events.start_time', 'minute') }} as {{ dbt.type_bigint() }}) as lead_time_minutes,
  events.canceled_at,
  events.start_time < {{ calendly_as_of() }} as has_started,
  coalesce(invitee_counts.active_invitees, 0) as active_invitees,
  coalesce(invitee_counts.canceled_invitees, 0) as canceled_invitees,
  coalesce(invitee_counts.no_shows, 0) as no_shows,
  coalesce(invitee_counts.rescheduled_in, 0) > 0 as is_rescheduled_into,
  coalesce(invitee_counts.rescheduled_out, 0) > 0 as is_rescheduled_out_of,
  coalesce(host_counts.hosts, 0) as hosts
from {{ ref('stg_calendly__scheduled_events') }} as events
left join {{ ref('stg_calendly__event_types') }} as event_types
  on event_types.event_type_uri = events.event_type_uri
left join invitee_counts
  on invitee_counts.scheduled_event_uri = events.scheduled_event_uri
left join host_counts
  on host_counts.scheduled_event_uri = events.scheduled_event_uri
