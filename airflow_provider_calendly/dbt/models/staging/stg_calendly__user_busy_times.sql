{#- Busy times are optional: until the sync lands <prefix>user_busy_times this model is empty (and
    calendly__host_activity's busy_minutes null). -#}
{%- set busy_times = calendly_busy_times_relation() -%}
{%- if busy_times is not none %}
select
  cast(user_uri as {{ dbt.type_string() }}) as user_uri,
  cast(type as {{ dbt.type_string() }}) as busy_type,
  {{ calendly_utc('start_time') }} as start_time,
  {{ calendly_utc('end_time') }} as end_time,
  cast(event_uri as {{ dbt.type_string() }}) as scheduled_event_uri
from (
  select
    busy.*,
    row_number() over (partition by user_uri, type, start_time, end_time order by _synced_at desc) as _calendly_row
  from {{ busy_times }} as busy
  where _deleted_at is null
) as ranked
where _calendly_row = 1
{%- else %}
select
  cast(null as {{ dbt.type_string() }}) as user_uri,
  cast(null as {{ dbt.type_string() }}) as busy_type,
  cast(null as {{ dbt.type_timestamp() }}) as start_time,
  cast(null as {{ dbt.type_timestamp() }}) as end_time,
  cast(null as {{ dbt.type_string() }}) as scheduled_event_uri
where 1 = 0
{%- endif %}
