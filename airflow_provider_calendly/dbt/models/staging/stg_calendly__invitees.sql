select
  cast(uri as {{ dbt.type_string() }}) as invitee_uri,
  cast(scheduled_event_uri as {{ dbt.type_string() }}) as scheduled_event_uri,
  cast(email as {{ dbt.type_string() }}) as email,
  cast(name as {{ dbt.type_string() }}) as invitee_name,
  cast(status as {{ dbt.type_string() }}) as status,
  coalesce(cast(is_no_show as {{ dbt.type_boolean() }}), false) as is_no_show,
  {{ calendly_utc('no_show_created_at') }} as no_show_created_at,
  coalesce(cast(rescheduled as {{ dbt.type_boolean() }}), false) as is_rescheduled,
  cast(old_invitee as {{ dbt.type_string() }}) as old_invitee_uri,
  cast(new_invitee as {{ dbt.type_string() }}) as new_invitee_uri,
  cast(routing_form_submission as {{ dbt.type_string() }}) as routing_form_submission_uri,
  {{ calendly_utc('canceled_at') }} as canceled_at,
  {{ calendly_utc('created_at') }} as created_at,
  {{ calendly_utc('updated_at') }} as updated_at
from ({{ calendly_live_rows('invitees') }}) as invitees
