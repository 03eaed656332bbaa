"""Stage 3, subscribers -> findings: the rule catalogue (rules.toml) and the engine."""
