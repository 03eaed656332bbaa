"""Stage 1, bytes -> event table: expand and sniff inputs, one reader per format (captures,
chr-v1, vendor CSV, 32.423 trace XML), the protocol decoders over every batch, and tickets."""
