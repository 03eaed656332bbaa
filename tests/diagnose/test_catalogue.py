"""The rule catalogue: every field checked at load time, precedence by specificity alone."""
import random
import re
import tomllib
from importlib import resources

import pytest

from chrtool.diagnose.catalogue import NODE_BY_PART, VOCABULARY, load_rules, rules
from chrtool.errors import ChrtoolError

GOOD = """[[rule]]
id = "x"
when = { proto = "NAS-EPS", msg = "AttachReject", cause = { proto = "NAS-EPS", group = "emm", values = [7] } }
procedure = "attach"
failure_node = "MME"
interface = "S1-MME"
category = "core-reject"
specialty = "ran-core"
disposition = "dispatch"
summary = "reject at {time}: {cause_name}"
reply.en = "e {cause_value}"
reply.zh = "z"
"""


def test_the_shipped_catalogue_loads_and_uses_only_design_vocabulary():
    loaded = rules()
    assert len(loaded) >= 20
    for rule in loaded:
        for key, allowed in VOCABULARY.items():
            value = getattr(rule, key)
            if key == "failure_node":
                allowed = allowed | NODE_BY_PART
            assert value in allowed or (key in ("procedure", "interface") and value == ""), rule.id
        assert rule.reply["en"] and rule.reply["zh"]


def test_a_good_rule_loads():
    [rule] = load_rules(GOOD)
    assert rule.id == "x" and rule.when["cause"]["values"] == [7]


@pytest.mark.parametrize("old, new, complaint", [
    ('failure_node = "MME"', 'failure_node = "MMe"', "failure_node 'MMe'"),
    ('procedure = "attach"', 'procedure = "atach"', "procedure 'atach'"),
    ('when = { proto', 'when = { prot = "NAS-EPS", proto', "unknown `when` key"),
    ('msg = "AttachReject"', 'msg = "AttachRejection"', "when.msg 'AttachRejection'"),
    ('proto = "NAS-EPS", msg', 'proto = "NAS", msg', "when.proto 'NAS'"),
    ('values = [7]', 'value = [7]', "when.cause takes"),
    ('values = [7]', 'values = ["7"]', "list of cause numbers"),
    ('cause = { proto', 'meas = { kind = "rsrpp", at_most = -110.0 }, cause = { proto', "kind 'rsrpp'"),
    ('cause = { proto', 'meas = { kind = "rsrp" }, cause = { proto', "at_most or at_least"),
    ('summary = "reject at {time}', 'summary = "reject at {tme}', "unknown placeholder(s) ['tme']"),
    ('reply.zh = "z"\n', '', "needs reply.en and reply.zh"),
    ('category = "core-reject"\n', 'category = "core-reject"\ncatgory = "x"\n', "unknown field(s) ['catgory']"),
    ('specialty = "ran-core"\n', '', "missing field(s) ['specialty']"),
    ('when = { proto', 'when = { procedure = "atach", proto', "when.procedure 'atach'"),
    ('when = { proto', 'when = { inside = "atach", proto', "when.inside 'atach'"),
    ('when = { proto', 'when = { outcome = "rejected", proto', "when.outcome 'rejected'"),
    ('when = { proto', 'when = { by = "SGSN", proto', "when.by 'SGSN'"),
    ('values = [7]', 'names = ["EPS services not alowed"]', "are not NAS-EPS cause names"),
    ('cause = { proto', 'fact = { kind = "gap", at_least = 3.0 }, cause = { proto', "when.fact kind 'gap'"),
    ('failure_node = "MME"', 'failure_node = "asker"', "failure_node 'asker'"),
    ('specialty = "ran-core"\n', 'specialty = "ran-core"\nconfidence = 1.5\n', "confidence must be"),
])
def test_a_misspelt_rule_is_an_error_naming_the_rule_and_the_field(old, new, complaint):
    assert old in GOOD
    with pytest.raises(ChrtoolError) as exc:
        load_rules(GOOD.replace(old, new, 1))
    assert "rule 'x'" in str(exc.value) and complaint in str(exc.value)


def test_cited_messages_must_exist():
    with pytest.raises(ChrtoolError, match="cite 'AttachRequst'"):
        load_rules(GOOD.replace('procedure =', 'cite = ["AttachRequst"]\nprocedure ='))


def test_duplicate_ids_and_identical_conditions_are_errors():
    with pytest.raises(ChrtoolError, match="defined twice"):
        load_rules(GOOD + "\n" + GOOD)
    with pytest.raises(ChrtoolError, match="same `when`"):
        load_rules(GOOD + "\n" + GOOD.replace('id = "x"', 'id = "y"'))


def _shipped_text():
    return resources.files("chrtool.diagnose").joinpath("rules.toml").read_text(encoding="utf-8")


def test_precedence_is_specificity_not_file_order():
    text = _shipped_text()
    blocks = re.split(r"(?m)^(?=\[\[rule\]\])", text)
    head, entries = blocks[0], blocks[1:]
    assert len(entries) == len(tomllib.loads(text)["rule"])
    want = [r.id for r in load_rules(text)]
    for seed in range(3):
        random.Random(seed).shuffle(entries)
        assert [r.id for r in load_rules(head + "".join(entries))] == want
    loaded = load_rules(text)
    spec = [r.specificity() for r in loaded]
    assert spec == sorted(spec, reverse=True)


def test_a_specific_rule_beats_a_catch_all_written_first():
    catch_all = GOOD.replace('id = "x"', 'id = "all"').replace(
        ', cause = { proto = "NAS-EPS", group = "emm", values = [7] }', "")
    loaded = load_rules(catch_all + "\n" + GOOD)
    assert [r.id for r in loaded] == ["x", "all"]
    cause = {"proto": "NAS-EPS", "group": "emm", "value": 7, "name": "EPS services not allowed"}
    facts = {"procedure": "attach", "state": "reject", "by": "MME", "proto": "NAS-EPS",
             "msg": "AttachReject", "cause": cause, "inside": None, "meas": {}, "facts": {}}
    first = next(r for r in loaded if r.matches(facts))
    assert first.id == "x"
    other = dict(facts, cause=dict(cause, value=8))
    assert next(r for r in loaded if r.matches(other)).id == "all"


def test_names_outcomes_and_facts_narrow_a_rule():
    [rule] = load_rules(GOOD.replace(
        'when = { proto = "NAS-EPS", msg = "AttachReject", cause = { proto = "NAS-EPS", group = "emm", values = [7] } }',
        'when = { procedure = "x2-handover", outcome = "success", cause = { proto = "X2AP", '
        'names = ["handover-desirable-for-radio-reasons"] }, fact = { kind = "back_to_source_s", at_most = 10.0 } }'))
    cause = {"proto": "X2AP", "group": "radioNetwork", "value": 0,
             "name": "handover-desirable-for-radio-reasons"}
    facts = {"procedure": "x2-handover", "state": "success", "by": "eNB", "proto": "X2AP",
             "msg": "HandoverRequest", "cause": cause, "inside": None, "meas": {},
             "facts": {"back_to_source_s": 2.5}}
    assert rule.matches(facts)
    assert not rule.matches(dict(facts, facts={"back_to_source_s": 12.0}))
    assert not rule.matches(dict(facts, facts={}))
    assert not rule.matches(dict(facts, state="failure"))
    assert not rule.matches(dict(facts, procedure="s1-handover"))
    assert not rule.matches(dict(facts, cause=dict(cause, name="time-critical-handover")))
    assert rule.specificity() == 5
