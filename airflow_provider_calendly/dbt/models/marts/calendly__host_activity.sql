{%- set busy_times_landed = calendly_busy_times_relation() is not none -%}

with host_meetings as (
  select distinct
    memberships.host_user_uri,
    events.scheduled_event_uri,
    events.status,
    cast(events.start_time as date) as activity_date,
    events.start_time < {{ calendly_as_of() }} as has_started,
    {{ dbt.datediff('events.start_time', 'events.end_time', 'minute') }} as minutes
  from {{ ref('stg_calendly__scheduled_events') }} as events
  inner join {{ ref('stg_calendly__event_memberships') }} as memberships
    on memberships.scheduled_event_uri = events.scheduled_event_uri
),

meeting_no_shows as (
  select scheduled_event_uri, count(*) as no_shows
  from {{ ref('stg_calendly__invitees') }}
  where status = 'active' and is_no_show
  group by scheduled_event_uri
),

meetings as (
  select
    host_meetings.host_user_uri,
    host_meetings.activity_date,
    {{ calendly_count_if("host_meetings.status = 'active'") }} as meetings_booked,
    {{ calendly_count_if("host_meetings.status = 'active' and host_meetings.has_started") }} as meetings_held,
    {{ calendly_sum("case when host_meetings.status = 'active' then host_meetings.minutes else 0 end") }}
      as booked_minutes,
    {{ calendly_count_if("host_meetings.status = 'canceled'") }} as cancellations,
    {{ calendly_sum(
        "case when host_meetings.status = 'active' and host_meetings.has_started"
        ~ " then meeting_no_shows.no_shows else 0 end") }} as no_shows
  from host_meetings
  left join meeting_no_shows
    on meeting_no_shows.scheduled_event_uri = host_meetings.scheduled_event_uri
  group by host_meetings.host_user_uri, host_meetings.activity_date
),

busy as (
  select
    user_uri as host_user_uri,
    cast(start_time as date) as activity_date,
    {{ calendly_sum(dbt.datediff('start_time', 'end_time', 'minute')) }} as busy_minutes
  from {{ ref('stg_calendly__user_busy_times') }}
  group by user_uri, cast(start_time as date)
),

host_days as (
  select distinct host_user_uri, activity_date
  from (
    select host_user_uri, activity_date from meetings
    union all
    select host_user_uri, activity_date from busy
  ) as days
)

select
  host_days.host_user_uri,
  host_days.activity_date,
  coalesce(meetings.meetings_booked, 0) as meetings_booked,
  coalesce(meetings.meetings_held, 0) as meetings_held,
  coalesce(meetings.booked_minutes, 0) as booked_minutes,
  coalesce(meetings.cancellations, 0) as cancellations,
  coalesce(meetings.no_shows, 0) as no_shows,
  {% if busy_times_landed -%}
  coalesce(busy.busy_minutes, 0)
  {%- else -%}
  cast(null as {{ dbt.type_bigint() }})
  {%- endif %} as busy_minutes
from host_days
left join meetings
  on meetings.host_user_uri = host_days.host_user_uri and meetings.activity_date = host_days.activity_date
left join busy
  on busy.host_user_uri = host_days.host_user_uri and busy.activity_date = host_days.activity_date
