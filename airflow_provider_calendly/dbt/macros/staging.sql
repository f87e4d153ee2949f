{#- The rows of a synced table that exist today: the last written row of each key, tombstones (_deleted_at)
    left out. A child table (one row per element of a list on its parent) has no tombstone of its own: its rows
    count while their parent's row (parent, joined on link) exists. -#}
{% macro calendly_live_rows(table, key='uri', parent=none, link=none) -%}
  select *
  from (
    select
      source_rows.*,
      row_number() over (partition by {{ key }} order by _synced_at desc) as _calendly_row
    from {{ source('calendly', table) }} as source_rows
    {% if parent is none -%}
    where _deleted_at is null
    {%- else -%}
    where {{ link }} in (select uri from {{ source('calendly', parent) }} where _deleted_at is null)
    {%- endif %}
  ) as ranked
  where _calendly_row = 1
{%- endmacro %}
