"""Stage 4, events and findings -> what people and programs read: decode rows (JSONL, CSV,
Parquet), stats, and the text, JSON and HTML reports."""
