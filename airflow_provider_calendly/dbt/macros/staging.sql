{#- The rows of a synced table that exist today: the last written row of each key, tombstones left out. -#}
{% macro calendly_live_rows(table, key='uri') -%}
  select *
  from (
    select
      source_rows.*,
      row_number() over (partition by {{ key }} order by _synced_at desc) as _calendly_row
    from {{ source('calendly', table) }} as source_rows
    where _deleted_at is null
  ) as ranked
  where _calendly_row = 1
{%- endmacro %}

{#- The rows of a child table (one row per element of a list on its parent) whose parent exists today. -#}
{% macro calendly_live_children(table, parent, link, key) -%}
  select *
  from (
    select
      child_rows.*,
      row_number() over (partition by {{ key }} order by _synced_at desc) as _calendly_row
    from {{ source('calendly', table) }} as child_rows
    where {{ link }} in (select uri from {{ source('calendly', parent) }} where _deleted_at is null)
  ) as ranked
  where _calendly_row = 1
{%- endmacro %}
