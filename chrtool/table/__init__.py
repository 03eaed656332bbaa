"""The event table every stage reads: its schema, `Events` (batches joined into one table) and
the names of its numbers (messages, causes, cells)."""
