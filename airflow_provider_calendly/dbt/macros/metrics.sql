{#- Counts and rates, typed the same on every warehouse (BIGINT counts, double-precision rates). -#}

{#- The rows where condition holds, as a BIGINT (0 when none). -#}
{% macro calendly_count_if(condition) -%}
  cast(coalesce(sum(case when {{ condition }} then 1 else 0 end), 0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- The sum of an integer expression, as a BIGINT (0 when no rows). -#}
{% macro calendly_sum(expression) -%}
  cast(coalesce(sum({{ expression }}), 0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- numerator / denominator as a double, null when the denominator is 0. -#}
{% macro calendly_ratio(numerator, denominator) -%}
  cast({{ numerator }} as {{ calendly_type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro calendly_type_double() -%}
  {{ return(adapter.dispatch('calendly_type_double', 'calendly')()) }}
{%- endmacro %}

{#- dbt.type_float() is a double on PostgreSQL, Snowflake, BigQuery and Redshift ... -#}
{% macro default__calendly_type_double() -%}
  {{ dbt.type_float() }}
{%- endmacro %}

{#- ... but DuckDB's FLOAT is 4 bytes. -#}
{% macro duckdb__calendly_type_double() -%}
  double
{%- endmacro %}
