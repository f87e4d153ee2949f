select
  cast(uri as {{ dbt.type_string() }}) as routing_form_submission_uri,
  cast(routing_form as {{ dbt.type_string() }}) as routing_form_uri,
  cast(submitter as {{ dbt.type_string() }}) as submitter_invitee_uri,
  cast(result_type as {{ dbt.type_string() }}) as result_type,
  cast(utm_source as {{ dbt.type_string() }}) as utm_source,
  cast(utm_medium as {{ dbt.type_string() }}) as utm_medium,
  cast(utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
  {{ calendly_utc('created_at') }} as created_at
from ({{ calendly_live_rows('routing_form_submissions') }}) as submissions
