"""Quantitative values: KPI sheets and API pushes (batches), reviewed manual entries (补录)."""
