{#- Timestamps, portably: every model compares and buckets UTC timestamps without a time zone. -#}

{% macro calendly_utc(expression) -%}
  {{ return(adapter.dispatch('calendly_utc', 'calendly')(expression)) }}
{%- endmacro %}

{#- The sync stores UTC instants; a warehouse whose type is zone-less (MySQL DATETIME, Snowflake NTZ,
    BigQuery TIMESTAMP) already holds UTC. -#}
{% macro default__calendly_utc(expression) -%}
  cast({{ expression }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- TIMESTAMPTZ: a plain cast would use the session's TimeZone; AT TIME ZONE 'UTC' gives the UTC wall time. -#}
{% macro postgres__calendly_utc(expression) -%}
  ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__calendly_utc(expression) -%}
  ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__calendly_utc(expression) -%}
  convert_timezone('UTC', {{ expression }})::timestamp_ntz
{%- endmacro %}


{#- "Now" of "started before the run": the var calendly_as_of (a UTC 'YYYY-MM-DD HH:MM:SS'), else the moment
    this dbt invocation started (run_started_at, UTC), the same instant in every model of one run. -#}
{% macro calendly_as_of() -%}
  {%- set as_of = var('calendly_as_of', none) or run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
  cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- The Monday (a date) of the ISO week of a UTC timestamp. -#}
{% macro calendly_week_start(expression) -%}
  {{ return(adapter.dispatch('calendly_week_start', 'calendly')(expression)) }}
{%- endmacro %}

{#- date_trunc('week', ...) starts weeks on Monday on PostgreSQL, DuckDB, Redshift and Snowflake (WEEK_START 0). -#}
{% macro default__calendly_week_start(expression) -%}
  cast({{ dbt.date_trunc('week', expression) }} as date)
{%- endmacro %}

{#- BigQuery's WEEK starts on Sunday; ISOWEEK on Monday. -#}
{% macro bigquery__calendly_week_start(expression) -%}
  date_trunc(date({{ expression }}), isoweek)
{%- endmacro %}
