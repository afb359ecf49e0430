{#- A rate is a share of expected returns: never below 0 and never above 1 (null allowed). -#}
{% test rate_between_zero_and_one(model, column_name) %}

select {{ column_name }} as invalid_rate
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1

{% endtest %}
