"""Bonus claims (申报) with evidence and their approval chain; deductions recorded by the office."""
