"""The rule catalogue (rules.toml): loading, checking and precedence.

Every field of every rule is checked when the catalogue loads, against DESIGN.md's vocabularies
and the protocol registry (protocol, message and cause names, measurement kinds, the templates'
placeholders), so a typo is an error that names the rule, not a rule that silently never
matches. Which rule explains a message is decided by specificity alone: the rule that asks the
most of it wins, whatever the order of the file.
"""
import string
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources

from chrtool._fast.events import MEAS_KINDS
from chrtool.errors import ChrtoolError
from chrtool.protocols import BY_NAME

# DESIGN.md's vocabularies: users' scripts and the ticket process rely on exactly these words.
VOCABULARY = {
    "failure_node": {"UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS", "transport", "unknown"},
    "interface": {"Uu", "S1-MME", "X2", "S11", "S5", "S6a"},
    "category": {"coverage", "interference", "hardware-link", "congestion", "configuration",
                 "core-reject", "subscription", "user-terminal", "transport", "unknown"},
    "specialty": {"ran", "ran-core", "switching", "ran-opt", "data-core"},
    "disposition": {"self-handle", "dispatch", "field-test"},
    "procedure": {"attach", "service-request", "tau", "handover", "erab-setup",
                  "erab-modification", "erab-release", "endc-addition", "endc-modification",
                  "endc-release", "endc-change", "detach", "context-release", "authentication",
                  "security-mode", "identity", "radio-link", "pdn-connectivity",
                  "bearer-activation", "s6a-authentication", "s6a-update-location",
                  "create-session", "modify-bearer", "delete-session", "paging"},
}
WHEN_KEYS = {"proto", "msg", "cause", "meas"}
CAUSE_KEYS = {"proto", "group", "values", "except"}
MEAS_KEYS = {"kind", "at_most", "at_least"}
LANGUAGES = {"en", "zh"}
# what summary and reply templates may say (chrtool/diagnose/engine.py fills them)
PLACEHOLDERS = {"time", "cause_name", "cause_value", "cell", "nr_cell", "meas", "imsi", "msisdn"}


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class Rule:
    id: str
    when: dict
    procedure: str
    failure_node: str
    interface: str
    category: str
    specialty: str
    disposition: str
    summary: str
    reply: dict
    cite: list = field(default_factory=list)

    def matches(self, proto, msg, cause, meas):
        w = self.when
        if w.get("proto") not in (None, proto):
            return False
        allowed = _as_list(w.get("msg"))
        if allowed and msg not in allowed:
            return False
        want = w.get("cause")
        if want:
            if cause is None:
                return False
            for key in ("proto", "group"):
                if key in want and cause.get(key) != want[key]:
                    return False
            if "values" in want and cause["value"] not in want["values"]:
                return False
            if cause["value"] in want.get("except", ()):
                return False
        for cond in _as_list(w.get("meas")):
            value = meas.get(cond["kind"])
            if value is None:
                return False
            if "at_most" in cond and value > cond["at_most"]:
                return False
            if "at_least" in cond and value < cond["at_least"]:
                return False
        return True

    def specificity(self):
        """How many conditions the rule sets on a message: the more it asks, the more it
        explains, and the more specific rule wins over a catch-all."""
        w = self.when
        cause = w.get("cause", {})
        return (("proto" in w) + ("msg" in w) + len(cause.keys() & CAUSE_KEYS)
                + sum(len(c.keys() & {"at_most", "at_least"}) for c in _as_list(w.get("meas"))))


def _check(rule):
    """Every field of one rule against the vocabularies and the registry; raises ChrtoolError
    naming the rule and the field."""
    def bad(what):
        raise ChrtoolError(f"rule {rule.id!r} in the diagnosis catalogue: {what}")

    for key, allowed in VOCABULARY.items():
        if getattr(rule, key) not in allowed:
            bad(f"{key} {getattr(rule, key)!r} is not one of {sorted(allowed)}")
    w = rule.when
    if not isinstance(w, dict) or not w:
        bad("`when` must name at least a protocol or a message")
    if w.keys() - WHEN_KEYS:
        bad(f"unknown `when` key(s) {sorted(w.keys() - WHEN_KEYS)} (known: {sorted(WHEN_KEYS)})")
    proto = w.get("proto")
    if proto is not None and proto not in BY_NAME:
        bad(f"when.proto {proto!r} is not a protocol chrtool decodes ({sorted(BY_NAME)})")
    known = (BY_NAME[proto].message_names() if proto else
             set().union(*(p.message_names() for p in BY_NAME.values())))
    for msg in _as_list(w.get("msg")):
        if msg not in known:
            bad(f"when.msg {msg!r} is not a {proto or 'known'} message name")
    cause = w.get("cause")
    if cause is not None:
        if not isinstance(cause, dict) or cause.keys() - CAUSE_KEYS:
            bad(f"when.cause takes {sorted(CAUSE_KEYS)}, got {cause!r}")
        if cause.get("proto") not in (None, *BY_NAME):
            bad(f"when.cause.proto {cause['proto']!r} is not a protocol ({sorted(BY_NAME)})")
        for key in ("values", "except"):
            if key in cause and not all(isinstance(v, int) for v in _as_list(cause[key])):
                bad(f"when.cause.{key} must be a list of cause numbers")
    for cond in _as_list(w.get("meas")):
        if not isinstance(cond, dict) or cond.keys() - MEAS_KEYS:
            bad(f"when.meas takes {sorted(MEAS_KEYS)}, got {cond!r}")
        if cond.get("kind") not in MEAS_KINDS.values():
            bad(f"when.meas kind {cond.get('kind')!r} is not one of {sorted(MEAS_KINDS.values())}")
        if not cond.keys() & {"at_most", "at_least"}:
            bad("when.meas needs at_most or at_least")
    every_msg = set().union(*(p.message_names() for p in BY_NAME.values()))
    for msg in rule.cite:
        if msg not in every_msg:
            bad(f"cite {msg!r} is not a known message name")
    if not isinstance(rule.reply, dict) or set(rule.reply) != LANGUAGES:
        bad(f"needs reply.en and reply.zh (got {sorted(rule.reply) if isinstance(rule.reply, dict) else rule.reply!r})")
    for name, text in [("summary", rule.summary)] + [(f"reply.{k}", v) for k, v in rule.reply.items()]:
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            bad(f"{name} is not a valid template ({exc})")
        if used - PLACEHOLDERS:
            bad(f"{name} uses unknown placeholder(s) {sorted(used - PLACEHOLDERS)} "
                f"(known: {sorted(PLACEHOLDERS)})")


RULE_FIELDS = {f.name for f in fields(Rule)}


def load_rules(text=None):
    """The checked rule catalogue (chrtool/diagnose/rules.toml unless `text` is given), most
    specific first (ties in rule id order, so the file's order never decides)."""
    if text is None:
        text = resources.files("chrtool.diagnose").joinpath("rules.toml").read_text(encoding="utf-8")
    try:
        entries = tomllib.loads(text).get("rule", [])
    except tomllib.TOMLDecodeError as exc:
        raise ChrtoolError(f"the diagnosis catalogue is not valid TOML: {exc}") from exc
    rules, seen = [], {}
    for i, entry in enumerate(entries):
        rid = entry.get("id", f"#{i + 1}")
        unknown, missing = entry.keys() - RULE_FIELDS, {"id", "when", "procedure", "failure_node",
                                                          "interface", "category", "specialty",
                                                          "disposition", "summary", "reply"} - entry.keys()
        if unknown or missing:
            raise ChrtoolError(f"rule {rid!r} in the diagnosis catalogue: "
                               + "; ".join(filter(None, [
                                   f"unknown field(s) {sorted(unknown)}" if unknown else "",
                                   f"missing field(s) {sorted(missing)}" if missing else ""])))
        rule = Rule(**entry)
        if rule.id in seen:
            raise ChrtoolError(f"rule {rule.id!r} is defined twice in the diagnosis catalogue")
        _check(rule)
        same = next((r for r in rules if r.when == rule.when), None)
        if same is not None:   # identical conditions: neither could ever be said to win
            raise ChrtoolError(f"rules {same.id!r} and {rule.id!r} have the same `when`")
        seen[rule.id] = rule
        rules.append(rule)
    return sorted(rules, key=lambda r: (-r.specificity(), r.id))


_RULES = None


def rules():
    """The shipped catalogue, loaded and checked once."""
    global _RULES
    if _RULES is None:
        _RULES = load_rules()
    return _RULES
