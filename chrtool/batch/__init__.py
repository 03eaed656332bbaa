"""Stage 5, many inputs -> findings and cells in Parquet: the nightly job over a whole export.

Maps files to events, identity edges and procedures, links across files by identity, and
diagnoses per shard of subscribers, on a process pool or Dask (issue 13 fills this room).
"""
