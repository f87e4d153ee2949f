select
  cast(uri as {{ dbt.type_string() }}) as event_type_uri,
  cast(name as {{ dbt.type_string() }}) as event_type_name,
  cast(slug as {{ dbt.type_string() }}) as slug,
  cast(kind as {{ dbt.type_string() }}) as kind,
  cast(duration as {{ dbt.type_int() }}) as duration_minutes,
  cast(active as {{ dbt.type_boolean() }}) as is_active,
  cast(profile_owner as {{ dbt.type_string() }}) as owner_uri,
  {{ calendly_utc('created_at') }} as created_at,
  {{ calendly_utc('updated_at') }} as updated_at,
  {{ calendly_utc('deleted_at') }} as deleted_at
from ({{ calendly_live_rows('event_types') }}) as event_types
