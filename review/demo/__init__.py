"""A realistic demo institution, in Chinese."""
