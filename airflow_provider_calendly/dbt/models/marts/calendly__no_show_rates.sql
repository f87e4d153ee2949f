with held_meetings as (
  select scheduled_event_uri, event_type_uri, {{ calendly_week_start('start_time') }} as week_start
  from {{ ref('stg_calendly__scheduled_events') }}
  where status = 'active' and start_time < {{ calendly_as_of() }}
),

host_meetings as (
  select distinct
    memberships.host_user_uri,
    held_meetings.event_type_uri,
    held_meetings.week_start,
    held_meetings.scheduled_event_uri
  from held_meetings
  inner join {{ ref('stg_calendly__event_memberships') }} as memberships
    on memberships.scheduled_event_uri = held_meetings.scheduled_event_uri
),

meeting_invitees as (
  select
    scheduled_event_uri,
    count(*) as invitees,
    {{ calendly_count_if('is_no_show') }} as no_shows
  from {{ ref('stg_calendly__invitees') }}
  where status = 'active'
  group by scheduled_event_uri
),

rates as (
  select
    host_meetings.host_user_uri,
    host_meetings.event_type_uri,
    host_meetings.week_start,
    cast(count(*) as {{ dbt.type_bigint() }}) as meetings,
    {{ calendly_sum('meeting_invitees.invitees') }} as invitees,
    {{ calendly_sum('meeting_invitees.no_shows') }} as no_shows
  from host_meetings
  left join meeting_invitees
    on meeting_invitees.scheduled_event_uri = host_meetings.scheduled_event_uri
  group by host_meetings.host_user_uri, host_meetings.event_type_uri, host_meetings.week_start
)

select
  rates.host_user_uri,
  rates.event_type_uri,
  event_types.event_type_name,
  rates.week_start,
  rates.meetings,
  rates.invitees,
  rates.no_shows,
  {{ calendly_ratio('rates.no_shows', 'rates.invitees') }} as no_show_rate
from rates
left join {{ ref('stg_calendly__event_types') }} as event_types
  on event_types.event_type_uri = rates.event_type_uri
