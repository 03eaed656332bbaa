from chrtool.table import names
from chrtool.table.events import CAUSE_CODES, PROTO


def test_plmn_two_and_three_digit_mnc():
    assert names.plmn(0x00F110) == "001-01"
    assert names.plmn(0x64F000) == "460-00"
    assert names.plmn(0x130062) == "310-260"
    assert names.plmn(-1) is None


def test_ecgi_splits_enb_and_cell():
    assert names.ecgi(0x00F110, (4097 << 8) | 3) == "001-01-4097-3"
    assert names.ecgi(0x00F110, -1) is None
    assert names.nr_cgi(0x00F110, 0x123456789) == "001-01-4886718345"


def test_message_names_per_protocol():
    assert names.msg_name(PROTO["S1AP"], 12) == "InitialUEMessage"
    assert names.msg_name(PROTO["S1AP"], (2 << 8) | 9) == "InitialContextSetupFailure"
    assert names.msg_name(PROTO["X2AP"], 27) == "SgNBAdditionRequest"
    assert names.msg_name(PROTO["NAS-EPS"], 0x44) == "AttachReject"
    assert names.msg_name(PROTO["NAS-EPS"], 0xD1) == "PDNConnectivityReject"
    assert names.msg_name(PROTO["GTPv2"], 33) == "CreateSessionResponse"
    assert names.msg_name(PROTO["Diameter"], (318 << 1) | 1) == "Authentication-Information-Request"
    assert names.msg_name(PROTO["Diameter"], 316 << 1) == "Update-Location-Answer"
    assert names.msg_name(PROTO["S1AP"], 250).startswith("unknown(")


def test_cause_objects_follow_the_design_shape():
    assert names.cause(CAUSE_CODES["S1AP"], 0, 21) == {
        "proto": "S1AP", "group": "radioNetwork", "value": 21,
        "name": "radio-connection-with-ue-lost"}
    assert names.cause(CAUSE_CODES["EMM"], -1, 7) == {
        "proto": "NAS-EPS", "group": "emm", "value": 7, "name": "EPS services not allowed"}
    assert names.cause(CAUSE_CODES["GTPv2"], -1, 16) == {
        "proto": "GTPv2", "value": 16, "name": "Request accepted"}
    assert names.cause(CAUSE_CODES["DIAMETER_EXP"], -1, 5001)["name"] == "DIAMETER_ERROR_USER_UNKNOWN"
    assert names.cause(0, -1, -1) is None


def test_cause_objects_are_not_shared_between_rows():
    """Rows add keys (context) to their cause objects: one row's change must not leak."""
    first = names.cause(CAUSE_CODES["S1AP"], 0, 21)
    first["context"] = 5
    again = names.cause(CAUSE_CODES["S1AP"], 0, 21)
    assert "context" not in again and again["name"] == "radio-connection-with-ue-lost"
