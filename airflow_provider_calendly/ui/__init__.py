"""The provider's page in the Airflow UI: sync health, the API budget, webhook health and 30 days of trends.

:mod:`.status` builds the page's data (also served as JSON) from what the syncs and the receiver already record,
:mod:`.app` serves the page and the JSON behind Airflow's login, and :mod:`.plugin` adds both to the Airflow UI.
"""
