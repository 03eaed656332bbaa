"""Stage 2, event table -> subscribers: which messages belong to which subscriber."""
