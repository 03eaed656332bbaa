"""The job's files: every one written whole or not at all, and found again by what made it.

A batch job may be killed at any moment (SIGKILL included). Each file is written to a temporary
name beside its target and renamed over it, so a target either holds a complete earlier result
or does not exist. Intermediate results live under OUTDIR/.work, named by a key that hashes
everything they depend on (the input's size, modification time and content hash, the chrtool
version, the options): a rerun finds what a killed run finished and does the rest.
"""
import contextlib
import hashlib
import json
import os

HASH_BLOCK = 1 << 20


@contextlib.contextmanager
def atomic(path, mode="wb"):
    """Open a temporary file beside `path` (mode None: yield its name, for pyarrow); on success it
    replaces `path`, synced to disk, else it is removed (chrtool/output/tables.replacing)."""
    from chrtool.output.tables import replacing
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with replacing(path, durable=True) as tmp:
        if mode is None:                # the caller writes the file by its name (pyarrow)
            yield tmp
        else:
            with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
                yield fh


def write_json(path, value):
    with atomic(path, "w") as fh:
        fh.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def fingerprint(path):
    """{path, bytes, mtime_ns, blake2b}: what the manifest records of an input, and what decides
    whether an earlier run's result for it still holds."""
    st = os.stat(path)
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(HASH_BLOCK):
            h.update(block)
    return {"path": path, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "blake2b": h.hexdigest()}


def safe_name(text):
    """A file name for a ticket number or the like: letters, digits, '-', '_' and '.' kept,
    anything else (a path separator, a space) as '_'."""
    import re
    name = re.sub(r"[^\w.-]", "_", text, flags=re.ASCII).strip(".")[:100] or "_"
    if name != text:                    # two numbers must not meet in one name
        name += "-" + hashlib.blake2b(text.encode(), digest_size=4).hexdigest()
    return name


def key(*parts):
    """A short stable name for what `parts` (JSON-able) describe."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


class WorkDir:
    """OUTDIR/.work: one folder per stage, one file per finished unit of work."""

    def __init__(self, outdir):
        self.root = os.path.join(outdir, ".work")

    def path(self, stage, name):
        folder = os.path.join(self.root, stage)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, name)

    def prune(self, stage, keep):
        """Remove a stage's files that no current unit of work names (an earlier run's, or a
        killed run's temporaries), so the folder does not grow from night to night."""
        folder = os.path.join(self.root, stage)
        if not os.path.isdir(folder):
            return
        for name in os.listdir(folder):
            if name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
