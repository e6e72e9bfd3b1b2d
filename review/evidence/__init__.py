"""Evidence files for claims and register entries: checked by content, stored outside the web root."""
