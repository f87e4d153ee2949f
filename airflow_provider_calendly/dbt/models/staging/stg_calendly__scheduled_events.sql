select
  cast(uri as {{ dbt.type_string() }}) as scheduled_event_uri,
  cast(event_type as {{ dbt.type_string() }}) as event_type_uri,
  cast(name as {{ dbt.type_string() }}) as event_name,
  cast(status as {{ dbt.type_string() }}) as status,
  {{ calendly_utc('start_time') }} as start_time,
  {{ calendly_utc('end_time') }} as end_time,
  cast(location_type as {{ dbt.type_string() }}) as location_type,
  cast(invitees_limit as {{ dbt.type_int() }}) as invitees_limit,
  {{ calendly_utc('canceled_at') }} as canceled_at,
  {{ calendly_utc('created_at') }} as created_at,
  {{ calendly_utc('updated_at') }} as updated_at
from ({{ calendly_live_rows('scheduled_events') }}) as scheduled_events
