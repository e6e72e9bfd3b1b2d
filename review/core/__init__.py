"""Cross-cutting pieces: domain errors, access rules, the audit log."""
