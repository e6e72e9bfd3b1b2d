"""The JSON API under /api/v1 for other systems (the case management system first)."""
