{#- A model's grain: no two rows share these columns' values. -#}
{% test calendly_unique_combination(model, columns) %}
  select {{ columns | join(', ') }}, count(*) as rows_with_these_values
  from {{ model }}
  group by {{ columns | join(', ') }}
  having count(*) > 1
{% endtest %}
