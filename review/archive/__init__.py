"""The appraisal file archive: files kept for years, never lost or silently changed."""
