"""Publication and appeals: staff read their own published results (and, when the plan allows, the
ranking list), appeal within the publication window, the performance office reviews; accepted appeals
adjust inputs and scores are recomputed; final results are kept as versions (docs/appeals.md)."""
