select
  cast(scheduled_event_uri as {{ dbt.type_string() }}) as scheduled_event_uri,
  cast(position as {{ dbt.type_int() }}) as position,
  cast(user_uri as {{ dbt.type_string() }}) as host_user_uri,
  cast(user_email as {{ dbt.type_string() }}) as host_email,
  cast(user_name as {{ dbt.type_string() }}) as host_name
from (
  {{ calendly_live_rows(
      'event_memberships', key='scheduled_event_uri, position', parent='scheduled_events', link='scheduled_event_uri') }}
) as memberships
