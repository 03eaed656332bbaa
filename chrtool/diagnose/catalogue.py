"""The rule catalogue (rules.toml): loading, checking and precedence.

A rule matches one procedure (chrtool/link/procedures.toml): its kind, how it ended, who answered,
the cause that explains it and the message carrying that cause, the radio measurements at the
failure and facts about what came before (a handover just done, a neighbour stronger than the
serving cell). The engine (engine.py) decides which procedure of a failed chain is the root.

Every field of every rule is checked when the catalogue loads, against DESIGN.md's vocabularies,
the procedure kinds and the protocol registry (message and cause names, measurement kinds, the
templates' placeholders), so a typo is an error that names the rule, not a rule that silently
never matches. Which rule explains a procedure is decided by specificity alone: the rule that
asks the most of it wins, whatever the order of the file.
"""
import string
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources

from chrtool._fast.events import MEAS_KINDS
from chrtool.errors import ChrtoolError
from chrtool.protocols import BY_NAME, CAUSE_OWNERS

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
# failure_node may also name a node by its part in the procedure
NODE_BY_PART = {"answerer",      # the node that answered it, or (silence) the one that did not
                "behind",        # the node behind the answerer ("remote peer not responding")
                "peer"}          # the node the answerer answered: whose message it reports as wrong
# the DESIGN.md procedure a finding reports, from the kind of the procedure that failed
PROCEDURE_OF_KIND = {
    "attach": "attach", "detach": "detach", "service-request": "service-request", "tau": "tau",
    "authentication": "authentication", "authentication-reject": "authentication",
    "security-mode": "security-mode", "identity": "identity",
    "guti-reallocation": "identity", "pdn-connectivity": "pdn-connectivity",
    "esm-information": "pdn-connectivity", "bearer-activation": "bearer-activation",
    "bearer-modification": "erab-modification", "bearer-deactivation": "erab-release",
    "bearer-resource-allocation": "bearer-activation",
    "bearer-resource-modification": "erab-modification", "pdn-disconnect": "delete-session",
    "emm-status": "attach", "esm-status": "pdn-connectivity",
    "initial-context-setup": "service-request", "erab-setup": "erab-setup",
    "erab-modification": "erab-modification", "erab-modification-indication": "erab-modification",
    "erab-release": "erab-release", "erab-release-indication": "erab-release",
    "context-release": "context-release", "unrequested-release": "context-release",
    "context-modification": "context-release", "s1-handover": "handover",
    "path-switch": "handover", "x2-handover": "handover", "chr-handover": "handover",
    "error-indication": "context-release", "endc-addition": "endc-addition",
    "chr-endc-addition": "endc-addition", "chr-endc-result": "endc-addition",
    "endc-modification": "endc-modification",
    "endc-modification-required": "endc-modification", "endc-release": "endc-release",
    "endc-release-required": "endc-release", "chr-sgnb-release": "endc-release",
    "scg-failure": "endc-release", "endc-change": "endc-change",
    "create-session": "create-session", "modify-bearer": "modify-bearer",
    "delete-session": "delete-session", "release-access-bearers": "context-release",
    "create-bearer": "bearer-activation", "update-bearer": "erab-modification",
    "delete-bearer": "erab-release", "downlink-data-notification": "paging",
    "s6a-authentication": "s6a-authentication", "s6a-update-location": "s6a-update-location",
    "s6a-purge": "detach", "s6a-cancel-location": "detach",
    "s6a-insert-subscriber-data": "s6a-update-location", "rrc-setup": "radio-link",
    "rrc-reestablishment": "radio-link", "radio-link-failure": "radio-link",
    "rrc-release": "context-release", "chr-erab-setup": "erab-setup",
    "secondary-rat-report": "endc-release", "x2-secondary-rat-report": "endc-release",
    "no-endc": "endc-addition", "s1-reset": "context-release",
}
# procedures the engine makes from what did not happen (engine.py: _Story.no_endc)
DERIVED_KINDS = {"no-endc",    # LTE service, but no EN-DC leg, when a ticket asks about 5G
                 "s1-reset"}   # an S1 Reset that cut the subscriber's connection (resets.py)
# how a procedure ended, as rules see it: procedures.py's outcomes, with `unanswered` for a request
# nobody answered (timed out, or given up after waiting or sending it again)
STATES = {"success", "reject", "failure", "timeout", "unanswered", "abandoned", "interrupted",
          "open"}
DEFAULT_STATES = ("reject", "failure")
WHEN_KEYS = {"procedure", "outcome", "by", "proto", "msg", "cause", "meas", "fact", "inside"}
CAUSE_KEYS = {"proto", "group", "values", "names", "except"}
BOUND_KEYS = {"kind", "at_most", "at_least"}
# numbers the engine works out about a procedure (engine.py: _facts)
FACTS = {"neighbour_gap",      # dB the best neighbour's RSRP is above the serving cell's
         "nr_reports",         # (no-endc) measurement reports of NR cells in the window
         "endc_attempts",      # (no-endc) SgNB additions the eNB attempted in the window
         "after_handover_s",   # seconds since the subscriber's last successful handover ended
         "back_to_source_s"}   # a handover back to the cell the last handover left, this soon
LANGUAGES = {"en", "zh"}
# what summary and reply templates may say (engine.py fills them)
PLACEHOLDERS = {"time", "cause_name", "cause_value", "cell", "nr_cell", "meas", "imsi", "msisdn",
                "node", "timer", "count", "procedure", "qci"}
REQUIRED = {"id", "when", "failure_node", "category", "specialty", "disposition", "summary",
            "reply"}


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class Rule:
    id: str
    when: dict
    failure_node: str
    category: str
    specialty: str
    disposition: str
    summary: str
    reply: dict
    procedure: str = ""           # default: the failed procedure's, from PROCEDURE_OF_KIND
    interface: str = ""           # default: where the root procedure ran
    cite: list = field(default_factory=list)
    confidence: float = 0.9       # how surely the pattern means this, before linking's doubts
    why: str = ""                 # the reason for that confidence, for confidence_reason

    def matches(self, facts):
        """facts: what engine.py knows of one procedure (kind, state, by, proto, msg, cause,
        meas, facts, inside)."""
        w = self.when
        for key in ("procedure", "by", "proto", "msg"):
            allowed = _as_list(w.get(key))
            if allowed and facts[key] not in allowed:
                return False
        states = _as_list(w.get("outcome")) or DEFAULT_STATES
        if "any" not in states and facts["state"] not in states:
            return False
        inside = _as_list(w.get("inside"))
        if inside and facts["inside"] not in inside:
            return False
        want, cause = w.get("cause"), facts["cause"]
        if want:
            if cause is None:
                return False
            for key in ("proto", "group"):
                if key in want and cause.get(key) != want[key]:
                    return False
            if "values" in want and cause["value"] not in want["values"]:
                return False
            if "names" in want and cause["name"] not in want["names"]:
                return False
            if cause["value"] in want.get("except", ()) or cause["name"] in want.get("except", ()):
                return False
        for key, have in (("meas", facts["meas"]), ("fact", facts["facts"])):
            for cond in _as_list(w.get(key)):
                value = have.get(cond["kind"])
                if value is None:
                    return False
                if "at_most" in cond and value > cond["at_most"]:
                    return False
                if "at_least" in cond and value < cond["at_least"]:
                    return False
        return True

    def specificity(self):
        """How many conditions the rule sets: the more it asks, the more it explains, and the
        more specific rule wins over a catch-all."""
        w = self.when
        cause = w.get("cause", {})
        bounds = sum(len(c.keys() & {"at_most", "at_least"})
                     for key in ("meas", "fact") for c in _as_list(w.get(key)))
        return (len(w.keys() & {"procedure", "outcome", "by", "proto", "msg", "inside"})
                + len(cause.keys() & (CAUSE_KEYS - {"except"})) + bounds)   # except narrows little


@lru_cache(maxsize=None)
def known_cause_names(proto):
    """Every cause name the registry gives `proto` (for checking `when.cause.names`)."""
    out = set()
    for record, naming, _group, attr in CAUSE_OWNERS.values():
        if record.name != proto:
            continue
        table = record.table
        if naming == "choice":
            out.update(n for names in table.CAUSES.values() for n in names)
        elif naming == "flat":
            out.update(getattr(table, attr).values())
        else:                                   # CHR: names per cause kind
            for kind in table.CAUSE_KINDS:
                out.update(table.cause_name(kind, v) for v in range(256))
    return frozenset(out)


def _check(rule):
    """Every field of one rule against the vocabularies and the registry; raises ChrtoolError
    naming the rule and the field."""
    from chrtool.link.procedures import kinds

    def bad(what):
        raise ChrtoolError(f"rule {rule.id!r} in the diagnosis catalogue: {what}")

    for key, allowed in VOCABULARY.items():
        value = getattr(rule, key)
        if key == "failure_node":
            allowed = allowed | NODE_BY_PART
        if key in ("procedure", "interface") and value == "":
            continue
        if value not in allowed:
            bad(f"{key} {value!r} is not one of {sorted(allowed)}")
    if not isinstance(rule.confidence, (int, float)) or not 0 < rule.confidence <= 1:
        bad(f"confidence must be a number in (0, 1], got {rule.confidence!r}")
    w = rule.when
    if not isinstance(w, dict) or not w:
        bad("`when` must name at least a procedure or a message")
    if w.keys() - WHEN_KEYS:
        bad(f"unknown `when` key(s) {sorted(w.keys() - WHEN_KEYS)} (known: {sorted(WHEN_KEYS)})")
    known_kinds = set(kinds()) | DERIVED_KINDS
    for key in ("procedure", "inside"):
        for kind in _as_list(w.get(key)):
            if kind not in known_kinds:
                bad(f"when.{key} {kind!r} is not a procedure kind of procedures.toml")
    for state in _as_list(w.get("outcome")):
        if state not in STATES | {"any"}:
            bad(f"when.outcome {state!r} is not one of {sorted(STATES | {'any'})}")
    for node in _as_list(w.get("by")):
        if node not in VOCABULARY["failure_node"]:
            bad(f"when.by {node!r} is not one of {sorted(VOCABULARY['failure_node'])}")
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
        if "values" in cause and not all(isinstance(v, int) for v in _as_list(cause["values"])):
            bad("when.cause.values must be a list of cause numbers")
        if "names" in cause:
            protos = [cause["proto"]] if "proto" in cause else sorted(BY_NAME)
            known_names = set().union(*(known_cause_names(p) for p in protos))
            unknown = set(_as_list(cause["names"])) - known_names
            if unknown:
                bad(f"when.cause.names {sorted(unknown)} are not {cause.get('proto', 'known')} "
                    f"cause names")
        if not all(isinstance(v, (int, str)) for v in _as_list(cause.get("except"))):
            bad("when.cause.except takes cause numbers or names")
    for key, allowed in (("meas", set(MEAS_KINDS.values())), ("fact", FACTS)):
        for cond in _as_list(w.get(key)):
            if not isinstance(cond, dict) or cond.keys() - BOUND_KEYS:
                bad(f"when.{key} takes {sorted(BOUND_KEYS)}, got {cond!r}")
            if cond.get("kind") not in allowed:
                bad(f"when.{key} kind {cond.get('kind')!r} is not one of {sorted(allowed)}")
            if not cond.keys() & {"at_most", "at_least"}:
                bad(f"when.{key} needs at_most or at_least")
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
        unknown, missing = entry.keys() - RULE_FIELDS, REQUIRED - entry.keys()
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
