select
  cast(uri as {{ dbt.type_string() }}) as routing_form_uri,
  cast(name as {{ dbt.type_string() }}) as routing_form_name,
  cast(status as {{ dbt.type_string() }}) as status,
  {{ calendly_utc('created_at') }} as created_at,
  {{ calendly_utc('updated_at') }} as updated_at
from ({{ calendly_live_rows('routing_forms') }}) as routing_forms
