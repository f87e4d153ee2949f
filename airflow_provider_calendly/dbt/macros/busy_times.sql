{#- The synced busy-times table (<prefix>user_busy_times), or none when the sync has not landed it. -#}
{% macro calendly_busy_times_relation() -%}
  {%- if not execute -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(adapter.get_relation(
      database=target.database,
      schema=var('calendly_schema', none) or target.schema,
      identifier=var('calendly_table_prefix', 'calendly_') ~ 'user_busy_times')) }}
{%- endmacro %}
