"""Procedures -> findings: which node broke one subscriber's signalling, with which cause.

An engineer walks back from the reject a subscriber saw to the first abnormal answer behind it
(../shared/DIAGNOSIS.md); so does this module:

- A *chain* is a procedure the subscriber started (parent none) with everything it ran under it:
  an attach with its S6a exchanges, Create Session on S11 and S5, the PDN connectivity inside.
- In a chain that failed, every procedure a rule of the catalogue (rules.toml) explains is
  abnormal; the *root* is the earliest abnormal answer (at the same moment, the innermost: the
  ESM cause inside Attach Reject #19). A request nobody answered counts from when it was sent,
  so a silent gateway comes before the Attach Reject #17 it caused. A child that failed and was
  tried again successfully under the same parent (a resynchronisation) is no root.
- A chain that succeeded gives a finding only when a rule explains the procedure itself (a
  release the eNB asked for with a radio cause, a ping-pong handover, the gNB's release).
- What follows a root is evidence of it, not a finding of its own: the rest of its chain, and
  findings that start within CONSEQUENCE_NS after it (the release after a radio link failure,
  the CHR record of the X2AP reject). The same fault repeated folds into one finding with a
  count and its first and last time.

A finding says when, which node, which cause, where, how the ticket process classifies it, which
frames on which interfaces show it, what followed, how sure it is, and a reply to paste into
the ticket with the time in the ticket's zone.
"""
import datetime as dt

from chrtool.diagnose.catalogue import PROCEDURE_OF_KIND, rules
from chrtool.link.correlate import CONFIDENCE, LINK_KINDS
from chrtool.link.procedures import CARRIERS, Procedure, Roles, build
from chrtool.link.procedures import catalogue as procedure_catalogue
from chrtool.protocols import BY_CODE
from chrtool.table import names
from chrtool.table.events import PROTO
from chrtool.table.names import iso

MEAS_MAX_AGE_NS = 60 * 10**9      # a measurement older than this says nothing about a failure
CONSEQUENCE_NS = 3 * 10**9        # a teardown this soon after a root follows from it
SAME_FAILURE_NS = 10**9           # the same procedure failing this close: one failure, two inputs
SAME_MOMENT_NS = 50 * 10**6       # within this, a signalling message outranks a CHR record of it
CITE_WINDOW_NS = 30 * 10**9       # cited messages of the subscriber's other interfaces
HANDOVER_KINDS = {"x2-handover", "s1-handover"}
STATUS_KINDS = {"emm-status", "esm-status", "error-indication"}
BEHIND = {"SGW": "PGW", "MME": "eNB", "PGW": "transport"}
NODES = {"UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS"}
MEAS_LABELS = {"ss_rsrp": ("SS-RSRP", "dBm"), "ss_rsrq": ("SS-RSRQ", "dB"),
               "ss_sinr": ("SS-SINR", "dB"), "rsrp": ("RSRP", "dBm"), "rsrq": ("RSRQ", "dB"),
               "sinr": ("SINR", "dB")}


def diagnose_ue(ev, sessions, ue, since_ns=None, until_ns=None, lang="en", catalogue=None,
                procedures=None, tz=None, phenomenon=None, causes=None):
    """Findings (DESIGN.md dicts) for one UE: those that explain the ticket's `phenomenon`
    (chrtool/diagnose/phenomena.py) first, each group in time order. `procedures`: the UE's
    procedures if built already (link.procedures.build); `tz`: the zone of the times in
    summary and reply (a tzinfo; default UTC); `causes`: the run's cause columns
    (cells.CauseIndex), for the S1 Resets that cut the subscriber's connections."""
    from chrtool.diagnose.phenomena import order
    from chrtool.diagnose.resets import fold_aftermath, reset_findings
    catalogue = catalogue if catalogue is not None else rules()
    if procedures is None:
        procedures = build(ev, sessions, [ue.index])
    story = _Story(ev, sessions, ue, [p for p in procedures if p.ue == ue.index], catalogue)
    found = [f for f in story.candidates()
             if (since_ns is None or f.at >= since_ns) and (until_ns is None or f.at <= until_ns)]
    if phenomenon is not None and phenomenon.endc and not any(
            _procedure(c).startswith("endc") for c in found):
        found += story.no_endc(since_ns, until_ns)      # why there was no 5G, nothing rejected
    findings = [story.finding(f, lang, tz) for f in _fold(found)]
    resets = reset_findings(causes, ev, sessions, ue, catalogue, lang, tz,
                            getattr(causes, "files", None), since_ns, until_ns)
    registered = [p.end_ns for p in story.procs if p.kind in ("attach", "tau") and p.outcome == "success"]
    findings = sorted(fold_aftermath(resets, findings, registered) + resets, key=lambda f: f["time"])
    return order(findings, phenomenon)


class _Candidate:
    """A root procedure, the rule that explains it and what followed it."""

    def __init__(self, root, rule, top, at, cause, cause_row, facts, chain):
        self.root, self.rule, self.top, self.at = root, rule, top, at
        self.cause, self.cause_row, self.facts, self.chain = cause, cause_row, facts, chain
        self.node = ""
        self.also = []             # the same failure seen in another input or message
        self.after = []            # candidates that followed from it
        self.repeats = []          # the same fault again later


def _fold(found):
    """Copies of one failure into one, consequences into their root, repeats into a count."""
    kinds = procedure_catalogue().kinds
    kept = []
    for c in sorted(found, key=lambda c: (c.at, c.root.start_ns)):
        prev = next((k for k in reversed(kept) if c.at - k.at <= CONSEQUENCE_NS), None)
        if prev is None:
            kept.append(c)
        elif c.at - prev.at <= SAME_FAILURE_NS and _same_failure(prev, c, kinds):
            if _is_chr(prev) and not _is_chr(c):   # the signalling says more than its record
                kept[kept.index(prev)] = c
                c.also.append(prev)
                c.also += prev.also
                prev.also = []
            else:
                prev.also.append(c)
        elif kinds[c.root.kind].teardown:
            prev.after.append(c)
        else:
            kept.append(c)
    out = []
    for c in kept:
        same = next((o for o in out if o.rule.id == c.rule.id and o.node == c.node
                     and _cause_key(o.cause) == _cause_key(c.cause)), None)
        if same is None:
            out.append(c)
        else:
            same.repeats.append(c)
    return out


def _same_failure(a, b, kinds):
    """One failure seen twice: two inputs of one event (same procedure and cause), or the eNB's
    CHR record of a signalling procedure's outcome."""
    if _cause_key(a.cause) == _cause_key(b.cause) and _procedure(a) == _procedure(b):
        return True
    return b.root.kind in kinds[a.root.kind].mirrors or a.root.kind in kinds[b.root.kind].mirrors


def _is_chr(c):
    return c.root.interface == "Uu"


def _cause_key(cause):
    return (cause.get("proto"), cause.get("group"), cause.get("value")) if cause else None


def _procedure(c):
    return c.rule.procedure or PROCEDURE_OF_KIND.get(c.top.kind, "attach")


class _Story:
    """One subscriber's rows and procedures, with what rules ask of them."""

    def __init__(self, ev, sessions, ue, procs, catalogue):
        self.ev, self.sessions, self.ue, self.catalogue = ev, sessions, ue, catalogue
        self.procs = sorted(procs, key=lambda p: (p.start_ns, p.index))
        self.by_index = {p.index: p for p in procs}
        cols = ev.cols
        self.rows = sorted(sessions.rows_of(ue.index).tolist(),
                           key=lambda r: (int(cols["ts_ns"][r]), int(cols["frame"][r]), r))
        self.ts = cols["ts_ns"]
        self.roles = _per_table(ev, "roles", lambda: Roles(ev, getattr(sessions, "roles", None)))
        self.serving, self.neighbour = _per_table(ev, "measurements", lambda: _measurements(ev))

    # ------------------------------------------------------------------ finding roots
    def candidates(self):
        out = []
        for top in self.procs:
            if top.parent >= 0 and top.parent in self.by_index:
                continue
            chain = self._chain(top)
            pool = chain if self._state(top) not in ("success", "open") else [top]
            matched = []
            for p in pool:
                shares_timer = p.embedded and p.outcome not in ("reject", "failure")
                if p is not top and (shares_timer or self._recovered(p)):
                    continue
                m = self._match(p, top)
                if m is not None:
                    matched.append(m)
            if not matched:
                continue
            root = min(matched, key=lambda c: (c.at, -self._depth(c.root), c.root.index))
            root.chain = chain
            out.append(root)
        return out

    def _chain(self, top):
        out, todo = [], [top]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += [self.by_index[c] for c in p.children if c in self.by_index]
        return sorted(out, key=lambda p: (p.start_ns, p.index))

    def _depth(self, p):
        d = 0
        while p.parent >= 0 and p.parent in self.by_index:
            p, d = self.by_index[p.parent], d + 1
        return d

    def _recovered(self, p):
        """Tried again under the same parent, and that time it worked, or (asked again) failed
        for another reason: a resynchronisation that ends in a MAC failure is about the MAC."""
        if p.parent < 0 or p.outcome == "success":
            return False
        mine = _cause_key(p.failing_cause())
        for s in self.by_index[p.parent].children:
            q = self.by_index.get(s)
            if q is None or q.kind != p.kind or q.start_ns <= p.start_ns:
                continue
            if q.outcome == "success" or (p.outcome == "abandoned"
                                          and _cause_key(q.failing_cause()) != mine):
                return True
        return False

    def _sender(self, r):
        return self.roles.sender(r, BY_CODE[int(self.ev.cols["proto"][r])].name)

    def _state(self, p):
        """The procedure's outcome, or `unanswered`: no message came back from the node asked
        and the asker waited its timer, sent it again or gave up."""
        own = self._own(p)
        if p.outcome in ("success", "reject", "failure", "open") or not own:
            return p.outcome
        first = self._side(own[0])               # answered: the node asked spoke, here or in
        answered = any(self._side(r) != first                      # a procedure it started under it
                       for q in self._chain(p) for r in (self._own(q) if q is not p else own[1:]))
        if answered:
            return p.outcome
        if p.outcome == "timeout" or p.retries:
            return "unanswered"
        timer = procedure_catalogue().kinds[p.kind].timer[1]
        waited = p.end_ns - p.start_ns
        return "unanswered" if timer and waited >= timer * 1e9 / 2 else p.outcome

    def _side(self, r):
        """Who spoke: the asking or the answering side of a GTPv2/Diameter exchange by the
        message itself, else the sending node."""
        proto = names.proto_name(self.ev.cols["proto"][r])
        if proto in ("GTPv2", "Diameter"):
            return "ask" if self._name(r).endswith("Request") else "answer"
        return self._sender(r)

    def _own(self, p):
        """Its messages, without the S1AP messages that only carry its NAS ones."""
        cols = self.ev.cols
        return [r for r in p.rows if f"{names.proto_name(cols['proto'][r])} {self._name(r)}"
                not in CARRIERS] or p.rows

    def _name(self, r):
        return names.msg_name(int(self.ev.cols["proto"][r]), int(self.ev.cols["msg"][r]))

    def _match(self, p, top):
        state = self._state(p)
        # the first failing cause: who raised it (a release's Command echoes its Request's)
        cause_row, cause = next(((r, c) for r, c in p.causes if _failing(c)),
                                p.causes[0] if p.causes else (None, None))
        if state == "success" and cause_row is None:
            return None                          # nothing in it to explain
        at = int(self.ts[cause_row]) if cause_row is not None else (
            p.start_ns if state == "unanswered" else p.end_ns)
        msg_row = cause_row if cause_row is not None else (p.rows[-1] if p.rows else None)
        facts = {
            "procedure": p.kind, "state": state, "by": self._by(p, state),
            "proto": names.proto_name(self.ev.cols["proto"][msg_row]) if msg_row is not None else None,
            "msg": self._name(msg_row) if msg_row is not None else None,
            "cause": cause, "inside": top.kind if top is not p else None,
            "meas": self._meas_at(at, cause_row), "facts": self._facts(p, at),
        }
        normal = state == "success" and not _failing(cause)
        rule = next((r for r in self.catalogue if r.matches(facts)
                     and not (normal and not r.when.keys() & {"cause", "fact"})), None)
        if rule is None:
            return None
        c = _Candidate(p, rule, top, at, cause, cause_row, facts, [])
        c.node = self._node(rule, facts["by"], self._peer(p))
        return c

    def _peer(self, p):
        """The node p's first message went to; for a status or Error Indication, the sender of
        the message it reports (the latest of that protocol with a known sender before it)."""
        own = self._own(p)
        if not own:
            return ""
        if p.kind in STATUS_KINDS:
            cols, first = self.ev.cols, own[0]
            mine = self._sender(first)
            for r in reversed(self.rows):
                if int(self.ts[r]) > int(self.ts[first]) or r == first \
                        or cols["proto"][r] != cols["proto"][first]:
                    continue
                who = self._sender(r)
                if who and who != mine:
                    return who
        return self._receiver(own[0])

    def _by(self, p, state):
        if state == "unanswered" and p.rows:
            return self._receiver(self._own(p)[0]) or p.answered_by
        return p.answered_by

    def _receiver(self, r):
        return self.roles.receiver(r, BY_CODE[int(self.ev.cols["proto"][r])].name)

    @staticmethod
    def _node(rule, by, peer):
        if rule.failure_node == "answerer":
            return by if by in NODES else "unknown"
        if rule.failure_node == "peer":
            return peer if peer in NODES else "unknown"
        if rule.failure_node == "behind":
            return BEHIND.get(by, "transport")
        return rule.failure_node

    def no_endc(self, since_ns, until_ns):
        """The subscriber had LTE service in the window and no EN-DC leg failed: whether it
        reported NR cells (B1) and whether the eNB tried to add one say why there was no 5G."""
        inside = [r for r in self.rows if (since_ns is None or int(self.ts[r]) >= since_ns)
                  and (until_ns is None or int(self.ts[r]) <= until_ns)]
        if not inside:
            return []
        nr = [r for r in inside if "ss_rsrp" in self.serving.get(r, {})]
        attempts = [p for p in self.procs if p.kind in ("endc-addition", "chr-endc-addition")
                    and (since_ns is None or p.start_ns >= since_ns)
                    and (until_ns is None or p.start_ns <= until_ns)]
        shown = nr[-3:] or [r for r in inside if self.ev.cols["eci"][r] >= 0][-1:] or inside[-1:]
        at = int(self.ts[shown[-1]])
        meas = {"ss_rsrp": max(self.serving[r]["ss_rsrp"] for r in nr)} if nr else {}
        p = Procedure(-1, self.ue.index, "no-endc", "Uu", int(self.ts[inside[0]]), at, "failure",
                      rows=shown)
        facts = {"procedure": "no-endc", "state": "failure", "by": "", "proto": None, "msg": None,
                 "cause": None, "inside": None, "meas": meas,
                 "facts": {"nr_reports": len(nr), "endc_attempts": len(attempts)}}
        rule = next((r for r in self.catalogue if r.matches(facts)), None)
        if rule is None:
            return []
        c = _Candidate(p, rule, p, at, None, None, facts, [])
        c.node = self._node(rule, "", "")
        self.by_index.setdefault(-1, p)
        return [c]

    # ------------------------------------------------------------------ radio and history
    def _meas_at(self, at, own_row):
        """The serving cell's measurements at the failure: those its own record carries, else
        the subscriber's latest within MEAS_MAX_AGE_NS."""
        out = {}
        for r in self._rows_before(at):
            for kind, value in self.serving.get(r, {}).items():
                out.setdefault(kind, (value, r))
        meas = {k: v for k, (v, _) in out.items()}
        if own_row is not None:
            meas.update(self.serving.get(own_row, {}))
        self.meas_rows = {r for _, r in out.values()}
        return meas

    def _rows_before(self, at):
        """The subscriber's rows from `at` back to MEAS_MAX_AGE_NS before, latest first."""
        for r in reversed(self.rows):
            t = int(self.ts[r])
            if t > at:
                continue
            if at - t > MEAS_MAX_AGE_NS:
                break
            yield r

    def _facts(self, p, at):
        facts = {}
        eci = self.ev.cols["eci"]
        cell = self._cell_before(at + 1)
        for r in self._rows_before(at):
            if r in self.neighbour and "rsrp" in self.serving.get(r, {}):
                if int(eci[r]) == cell:                 # a report of the cell that failed
                    facts["neighbour_gap"] = self.neighbour[r] - self.serving[r]["rsrp"]
                break
        done = [q for q in self.procs if q.kind in HANDOVER_KINDS and q.outcome == "success"
                and q.end_ns <= at and at - q.end_ns <= MEAS_MAX_AGE_NS and q is not p]
        if done:
            facts["after_handover_s"] = (at - done[-1].end_ns) / 1e9
        if p.kind in HANDOVER_KINDS and done:
            q = done[-1]
            if (self._cell_before(p.start_ns) == self._cell_after(q)
                    and self._cell_after(p) == self._cell_before(q.start_ns) is not None):
                facts["back_to_source_s"] = (p.start_ns - q.end_ns) / 1e9
        return facts

    def _cell_before(self, t):
        eci = self.ev.cols["eci"]
        return next((int(eci[r]) for r in reversed(self.rows)
                     if int(self.ts[r]) < t and eci[r] >= 0), None)

    def _cell_after(self, p):
        """The cell a handover went to: the first cell its messages (the Path Switch, the
        Handover Notify) or the subscriber's next ones name."""
        eci = self.ev.cols["eci"]
        rows = [r for q in self._chain(p) for r in q.rows if eci[r] >= 0]
        if rows:
            return int(eci[min(rows, key=lambda r: int(self.ts[r]))])
        return next((int(eci[r]) for r in self.rows if int(self.ts[r]) > p.end_ns and eci[r] >= 0),
                    None)

    # ------------------------------------------------------------------ the finding
    def finding(self, c, lang, tz):
        rule = c.rule
        cause = c.cause
        at = c.at
        if cause is None or not _failing(cause):   # silence: the reject it caused says what
            top_row, top_cause = next(((r, x) for r, x in reversed(c.top.causes) if _failing(x)),
                                      (None, None))
            if top_cause is not None and c.top is not c.root:
                cause, at = top_cause, int(self.ts[top_row])
        cell = self._cell(at)
        repeats = [c] + c.repeats
        times = [x.at if x is not c else at for x in repeats]
        fields = {"time": _local(at, tz), "cause_name": cause["name"] if cause else "",
                  "cause_value": cause["value"] if cause else "",
                  "cell": cell.get("ecgi", "?"), "nr_cell": cell.get("nr_cgi", "?"),
                  "imsi": self.ue.imsi, "msisdn": self.ue.msisdn, "node": c.node,
                  "timer": c.root.timer or "its timer", "count": len(repeats),
                  "procedure": _procedure(c), "qci": self._qci(c.root),
                  "meas": ", ".join(f"{MEAS_LABELS[k][0]} {c.facts['meas'][k]:g} {MEAS_LABELS[k][1]}"
                                    for k in MEAS_LABELS if k in c.facts["meas"]) or "no measurement"}
        evidence = self._evidence_of(c)
        for other in c.also:
            evidence += self._evidence_of(other)
        confidence, reason = self._confidence(c)
        finding = {
            "time": iso(at), "imsi": self.ue.imsi, "procedure": _procedure(c),
            "failure_node": c.node, "interface": rule.interface or c.root.interface,
            "cause": cause, "category": rule.category, "specialty": rule.specialty,
            "disposition": rule.disposition, "cell": cell, "evidence": _unique(evidence),
            "summary": rule.summary.format(**fields), "reply": rule.reply[lang].format(**fields),
            "rule": rule.id, "confidence": confidence, "confidence_reason": reason,
            "count": len(repeats), "first": iso(min(times)), "last": iso(max(times)),
            "consequences": self._consequences(c),
            "procedure_id": c.root.index if c.root.index >= 0 else None,
            "common_problem": None,
        }
        if rule.when.get("meas"):
            finding["measurements"] = c.facts["meas"]
        return finding

    def _qci(self, p):
        """The QCI of the bearer the procedure set up (the failed E-RAB's if the items say
        which), '?' when its messages carry none."""
        contexts, qcis = _per_table(self.ev, "qci", lambda: _bearer_items(self.ev))
        failed = {c for r in p.rows for c in contexts.get(r, ())} - {-1}
        for kind in ("erab", "bearer"):
            found = [eq for r in p.rows for eq in qcis[kind].get(r, ())]
            pick = [q for e, q in found if e in failed] or [q for _, q in found]
            if pick:
                return pick[0]
        return "?"

    def _evidence_of(self, c):
        """The root's request and answer, the failed procedure's first and failing messages,
        the measurement the rule used and the messages the rule cites."""
        rows = set()
        for p in (c.root, c.top):
            own = self._own(p)
            if own:
                rows.add(own[0])
                if p is c.root and self._state(p) == "unanswered":
                    rows.update(own)                   # every attempt nobody answered
            failing = next((r for r, x in reversed(p.causes) if _failing(x)), None)
            if failing is not None:
                rows.add(failing)
            if p.outcome in ("reject", "failure") and own:
                rows.add(own[-1])                      # the answer that ended it
        if c.root.kind in STATUS_KINDS:              # a status answers its peer's last message
            sender = self._sender(self._own(c.root)[0])
            cols = self.ev.cols
            answered = next((r for r in reversed(self.rows) if int(self.ts[r]) <= c.at
                             and cols["proto"][r] == cols["proto"][c.root.rows[-1]]
                             and self._sender(r) != sender), None)
            if answered is not None:                # the outer message of that frame
                rows.add(next(r for r in self.rows if cols["frame"][r] == cols["frame"][answered]
                              and cols["file_id"][r] == cols["file_id"][answered]
                              and cols["proto"][r] == cols["proto"][answered]))
        if c.rule.when.get("meas"):
            self._meas_at(c.at, c.cause_row)
            rows |= self.meas_rows
        for want in c.rule.cite:
            r = next((r for r in reversed(self.rows) if int(self.ts[r]) <= c.at
                      and c.at - int(self.ts[r]) <= CITE_WINDOW_NS and self._name(r) == want), None)
            if r is not None:
                rows.add(r)
        rows |= self._chr_copies(rows)
        return [_evidence(self.ev, r, self._name(r)) for r in rows]

    def _chr_copies(self, rows):
        """The other exports of the CHR records among rows (linking keeps one export of an
        event, chrtool/link/correlate.py): the finding cites every file that shows it."""
        if not hasattr(self, "_copies_of"):
            proto = self.ev.cols["proto"]
            self._copies_of = {o: c for o, c in self.sessions.copies().items()
                               if proto[o] == PROTO["CHR"]}
        return {c for r in rows for c in self._copies_of.get(r, ())}

    def _consequences(self, c):
        """What followed the root: the rest of its chain that did not end well, the findings
        folded into it, and the teardowns (release, Delete Session) of the subscriber that began
        within CONSEQUENCE_NS after the failed procedure, before its next attempt at anything."""
        kinds = procedure_catalogue().kinds
        seen = {id(x.root) for x in c.also} | {id(x.top) for x in c.also} | set(map(id, c.chain))
        procs = [p for p in c.chain if p is not c.root
                 and (p.outcome != "success" or kinds[p.kind].teardown)]
        procs += [x.root for x in c.after]
        end = max(c.top.end_ns, c.at)
        for p in self.procs:
            if p.parent >= 0 or id(p) in seen or p.start_ns < end:
                continue
            if p.start_ns > end + CONSEQUENCE_NS or not kinds[p.kind].teardown:
                break                                     # the story moved on
            procs.append(p)
        out = []
        for p in sorted({id(p): p for p in procs}.values(), key=lambda p: (p.start_ns, p.index)):
            r = next((r for r, x in reversed(p.causes) if _failing(x)), None)
            own = self._own(p)
            if r is None and len(own) > 1:
                r = own[-1]
            if r is None or int(self.ts[r]) < c.at:
                continue                                  # nothing of it came after the root
            e = _evidence(self.ev, r, self._name(r))
            e.update(procedure=p.kind, outcome=p.outcome, procedure_id=p.index)
            out.append(e)
        return out

    def _confidence(self, c):
        kinds = {LINK_KINDS[self.sessions.link_of_row[r]] for p in (c.root, c.top) for r in p.rows}
        kinds.discard("")
        weakest = min(kinds, key=lambda k: CONFIDENCE[k]) if kinds else ""
        link = CONFIDENCE.get(weakest, 1.0)
        why = c.rule.why or _default_why(c)
        if link < 1:
            why += f"; the subscriber's messages were linked by {weakest} ({link:g})"
        return round(c.rule.confidence * link, 2), why

    def _cell(self, at):
        """The latest ECGI / NR-CGI the subscriber's messages named up to the failure."""
        cell, cols = {}, self.ev.cols
        for r in reversed(self.rows):
            if int(self.ts[r]) > at:
                continue
            if "ecgi" not in cell and cols["eci"][r] >= 0:
                cell["ecgi"] = names.ecgi(cols["plmn"][r], cols["eci"][r])
            if "nr_cgi" not in cell and cols["nci"][r] >= 0:
                plmn = cols["nr_plmn"][r] if cols["nr_plmn"][r] >= 0 else cols["plmn"][r]
                cell["nr_cgi"] = names.nr_cgi(plmn, cols["nci"][r])
            if len(cell) == 2:
                break
        return cell


def render(rule, lang, fields):
    """(summary, reply) of `rule` with `fields`; placeholders it does not give read '?'."""
    from chrtool.diagnose.catalogue import PLACEHOLDERS
    full = dict.fromkeys(PLACEHOLDERS, "?") | fields
    return rule.summary.format(**full), rule.reply[lang].format(**full)


def _default_why(c):
    state = c.facts["state"]
    if state == "unanswered":
        return f"no answer from the {c.node} within {c.root.timer or 'the timer'}"
    if c.rule.disposition == "field-test":
        return "the signalling alone cannot tell the cause apart"
    if c.root is not c.top:
        return f"the {c.node}'s own answer comes first in the failed {c.top.kind}"
    return f"the {c.node} gave the cause itself"


def _failing(cause):
    from chrtool.link.procedures import _failing as failing
    return cause is not None and failing(cause)


def _local(ts_ns, tz):
    """A time for people: '2026-11-27 17:00:14' in the ticket's zone (UTC if none)."""
    t = dt.datetime.fromtimestamp(int(ts_ns) // 10**9, tz or dt.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _unique(evidence):
    return sorted({(e["file"], e["frame"], e["msg"]): e for e in evidence}.values(),
                  key=lambda e: (e["file"] or "", e["frame"], e["msg"]))


def _per_table(ev, name, make):
    """What `make()` computes over a whole table, once per table: a batch job diagnoses many
    subscribers over one table, and these are not the subscriber's but the table's."""
    memo = ev.__dict__.setdefault("_diagnosis_memo", {})
    if name not in memo:
        memo[name] = make()
    return memo[name]


def _bearer_items(ev):
    """(row -> the contexts (E-RAB IDs) of its cause items, {"erab"|"bearer": row -> [(E-RAB ID
    or EBI, QCI)]}) of every row."""
    from chrtool.table.schema import ITEM_KINDS
    it = ev.items_of("cause")
    contexts = {}
    for r, c in zip(it["row"].tolist(), ITEM_KINDS["cause"].get(it, "context").tolist()):
        contexts.setdefault(r, []).append(c)
    qcis = {}
    for kind, id_field in (("erab", "erab_id"), ("bearer", "ebi")):
        it, spec = ev.items_of(kind), ITEM_KINDS[kind]
        by_row = qcis[kind] = {}
        for r, e, q in zip(it["row"].tolist(), spec.get(it, id_field).tolist(),
                           spec.get(it, "qci").tolist()):
            if q >= 0:
                by_row.setdefault(r, []).append((e, q))
    return contexts, qcis


def _measurements(ev):
    """(row -> {kind: value} of the serving cell, row -> the best neighbour's RSRP) of the
    measurements rows carry (dB/dBm)."""
    from chrtool._fast.events import MEAS_KINDS, MEAS_NEIGHBOUR, MEAS_SCALE
    from chrtool.table.schema import ITEM_KINDS
    it, meas = ev.items_of("meas"), ITEM_KINDS["meas"]
    serving, neighbour = {}, {}
    for r, kind, value in zip(it["row"].tolist(), meas.get(it, "kind").tolist(),
                              meas.get(it, "value").tolist()):
        name = MEAS_KINDS.get(kind & ~MEAS_NEIGHBOUR)
        if not name:
            continue
        value = value / MEAS_SCALE.get(name, 1)
        if kind & MEAS_NEIGHBOUR:
            if name == "rsrp":
                neighbour[r] = max(neighbour.get(r, value), value)
        else:
            serving.setdefault(r, {})[name] = value
    return serving, neighbour


def _evidence(ev, r, msg):
    carrier = ev.cols["parent"][r]
    shown = r if carrier < 0 else carrier          # the frame carries the S1AP message
    out = {"file": ev.files.get(int(ev.cols["file_id"][r])), "frame": int(ev.cols["frame"][r]),
           "msg": msg}
    if carrier >= 0:
        out["carrier"] = names.msg_name(ev.cols["proto"][shown], ev.cols["msg"][shown])
    cause = names.cause(ev.cols["cause_proto"][r], ev.cols["cause_group"][r], ev.cols["cause_value"][r])
    if cause:
        out["cause"] = cause
    return out

