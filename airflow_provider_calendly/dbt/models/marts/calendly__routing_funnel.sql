with held_invitees as (
  select invitees.invitee_uri, invitees.is_no_show
  from {{ ref('stg_calendly__invitees') }} as invitees
  inner join {{ ref('stg_calendly__scheduled_events') }} as events
    on events.scheduled_event_uri = invitees.scheduled_event_uri
  where invitees.status = 'active'
    and events.status = 'active'
    and events.start_time < {{ calendly_as_of() }}
),

submissions as (
  select
    submissions.routing_form_uri,
    coalesce(submissions.utm_source, '(none)') as utm_source,
    submissions.submitter_invitee_uri,
    held_invitees.invitee_uri as held_invitee_uri,
    held_invitees.is_no_show
  from {{ ref('stg_calendly__routing_form_submissions') }} as submissions
  left join held_invitees
    on held_invitees.invitee_uri = submissions.submitter_invitee_uri
),

funnel as (
  select
    routing_form_uri,
    utm_source,
    cast(count(*) as {{ dbt.type_bigint() }}) as submissions,
    {{ calendly_count_if('submitter_invitee_uri is not null') }} as booked,
    {{ calendly_count_if('held_invitee_uri is not null') }} as held,
    {{ calendly_count_if('held_invitee_uri is not null and is_no_show') }} as no_shows
  from submissions
  group by routing_form_uri, utm_source
)

select
  funnel.routing_form_uri,
  forms.routing_form_name,
  funnel.utm_source,
  funnel.submissions,
  funnel.booked,
  funnel.held,
  funnel.no_shows,
  {{ calendly_ratio('funnel.booked', 'funnel.submissions') }} as booking_rate,
  {{ calendly_ratio('funnel.held', 'funnel.booked') }} as held_rate,
  {{ calendly_ratio('funnel.no_shows', 'funnel.held') }} as no_show_rate
from funnel
left join {{ ref('stg_calendly__routing_forms') }} as forms
  on forms.routing_form_uri = funnel.routing_form_uri
