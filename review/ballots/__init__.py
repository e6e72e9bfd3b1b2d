"""Staff ballots: who rates whom, participation, and (anonymous by construction) answers.
See docs/anonymity.md for what the schema must never reveal."""
