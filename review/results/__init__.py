"""A campaign's results as the office reads them: the table (filtered, sorted, paginated), the
figures beside it (grades by category with their quotas, score histogram, department statistics),
each person's breakdown with links to where every value came from, and the .xlsx export.

Everything here reads; the engine (review/scoring) and review/campaigns/loader.py write the
``results`` rows."""
