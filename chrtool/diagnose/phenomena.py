"""A ticket's phenomenon (phenomena.toml): which findings explain what the subscriber saw."""
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chrtool.diagnose.catalogue import VOCABULARY
from chrtool.errors import ChrtoolError


@dataclass(frozen=True)
class Phenomenon:
    kind: str
    words: tuple
    procedures: tuple
    endc: bool = False

    def rank(self, finding):
        """0 for a finding that explains the phenomenon (the earlier its procedure is listed,
        the better), len(procedures) for one that does not."""
        try:
            return self.procedures.index(finding["procedure"])
        except ValueError:
            return len(self.procedures)


@lru_cache(maxsize=1)
def phenomena():
    text = resources.files("chrtool.diagnose").joinpath("phenomena.toml").read_text("utf-8")
    out = []
    for e in tomllib.loads(text)["phenomenon"]:
        unknown = set(e.get("procedures", ())) - VOCABULARY["procedure"]
        if unknown or not e.get("words") or not e.get("kind"):
            raise ChrtoolError(f"phenomena.toml: {e.get('kind', '?')}: needs a kind, words and "
                               f"DESIGN.md procedures (unknown: {sorted(unknown)})")
        out.append(Phenomenon(e["kind"], tuple(w.lower() for w in e["words"]),
                              tuple(e.get("procedures", ())), bool(e.get("endc"))))
    return tuple(out)


def classify(text):
    """The Phenomenon a ticket's phenomenon text names, or None."""
    low = (text or "").lower()
    return next((p for p in phenomena() if any(w in low for w in p.words)), None)


def order(findings, phenomenon):
    """Findings that explain the phenomenon first, each group in time order."""
    if phenomenon is None:
        return findings
    return sorted(findings, key=lambda f: (phenomenon.rank(f), f["time"]))
