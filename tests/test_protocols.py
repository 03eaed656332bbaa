"""The protocol registry: one record per protocol, and every stage dispatching from it."""
import dataclasses

import pytest

from chrtool import protocols
from chrtool._fast.capture import DEFAULT_PPIDS
from chrtool.errors import ChrtoolError
from chrtool.table.events import CAUSE_CODES, PROTO


def test_every_record_is_a_protocol_of_the_event_table():
    for p in protocols.REGISTRY:
        assert PROTO[p.name] == p.code
        assert p.link in {"s1", "nas", "exchange", "x2", "chr"}, p.name
        assert p.message_names(), p.name


def test_decoders_load_and_run_in_dependency_order():
    names = [p.name for p in protocols.DECODERS]
    # S1AP and X2AP add the NAS-EPS rows that NAS-EPS then decodes
    assert names.index("S1AP") < names.index("NAS-EPS") and names.index("X2AP") < names.index("NAS-EPS")
    for p in protocols.DECODERS:
        assert callable(p.module.decode)


def test_a_missing_compiled_decoder_fails_loudly():
    ghost = dataclasses.replace(protocols.BY_NAME["GTPv2"], decoder="no_such_decoder")
    with pytest.raises(ChrtoolError, match="chrtool._fast.no_such_decoder.*pip install"):
        ghost.module


def test_stateful_decoders_get_only_the_options_they_declare():
    nas = protocols.BY_NAME["NAS-EPS"]
    assert type(nas.new_state()).__name__ == "NasState"
    assert nas.new_state(unrelated_option=True) is not None
    assert protocols.BY_NAME["GTPv2"].new_state(nas_null_cipher=True) is None


def test_capture_routes_come_from_the_records():
    ppids, ports = protocols.capture_routes()
    assert ppids == {18: "S1AP", 27: "X2AP", 46: "Diameter", 47: "Diameter"}
    assert ppids == DEFAULT_PPIDS      # the reader's defaults are the registry's
    assert ports == {"s1ap": 36412, "x2ap": 36422, "gtpv2": 2123, "diameter": 3868}


def test_every_cause_code_has_one_owner():
    assert set(protocols.CAUSE_OWNERS) == set(CAUSE_CODES.values())
    assert protocols.cause_object(CAUSE_CODES["DIAMETER_EXP"], 0, 5001) == {
        "proto": "Diameter", "group": "experimental-result", "value": 5001,
        "name": "DIAMETER_ERROR_USER_UNKNOWN"}
    assert protocols.cause_object(CAUSE_CODES["ESM"], 0, 27)["group"] == "esm"


@pytest.mark.parametrize("proto, msg, name", [
    ("S1AP", 12, "InitialUEMessage"), ("X2AP", 27, "SgNBAdditionRequest"),
    ("NAS-EPS", 0x41, "AttachRequest"), ("GTPv2", 32, "CreateSessionRequest"),
    ("Diameter", 316 << 1 | 1, "Update-Location-Request"), ("Diameter", 316 << 1, "Update-Location-Answer"),
])
def test_message_names_through_the_records(proto, msg, name):
    record = protocols.BY_NAME[proto]
    assert record.msg_name(msg) == name and name in record.message_names()


def test_roles_place_nodes_on_lanes():
    assert protocols.BY_NAME["S1AP"].role_of("InitialUEMessage") == ("eNB", "MME")
    assert protocols.BY_NAME["X2AP"].role_of("SgNBAdditionRequest") == ("eNB", "gNB")
    assert protocols.BY_NAME["S1AP"].role_of("Paging") is None
