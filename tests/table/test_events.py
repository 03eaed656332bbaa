import numpy as np

from chrtool.table.events import ITEM_KEYS, PROTO, STR_KINDS, EventTable, Events
from eventsutil import table

S1AP, NAS = PROTO["S1AP"], PROTO["NAS-EPS"]
APN = {v: k for k, v in STR_KINDS.items()}["apn"]


def test_new_rows_hold_the_absent_defaults():
    t = EventTable(capacity=16)
    t.add_python_row(frame=1)
    assert t.column("mme_ue_s1ap_id")[0] == -1
    assert t.column("cause_proto")[0] == 0
    assert t.column("parent")[0] == -1


def test_table_grows_past_its_capacity_and_keeps_rows():
    t = EventTable(capacity=16)
    for i in range(100):
        t.add_python_row(frame=i + 1, enb_ue_s1ap_id=i)
    assert t.n == 100
    assert t.column("enb_ue_s1ap_id").tolist() == list(range(100))
    assert (t.column("mme_ue_s1ap_id") == -1).all()


def test_concat_rebases_parents_payloads_and_string_items():
    a = table([{"frame": 1, "proto": S1AP, "payload": b"AAAA"},
               {"frame": 1, "proto": NAS, "parent": 0, "payload": b"BB"}], file="a")
    b = table([{"frame": 7, "proto": S1AP, "payload": b"CCC"},
               {"frame": 7, "proto": NAS, "parent": 0, "payload": b"apn",
                }], file="b", file_id=1)
    # the string item points at the payload bytes of its own batch
    b.add_python_item(1, ITEM_KEYS["str"], APN, int(b.column("payload_off")[1]), 3, -1)
    ev = Events.concat([a, b])
    assert ev.n == 4
    assert ev.cols["parent"].tolist() == [-1, 0, -1, 2]
    assert ev.cols["file_id"].tolist() == [0, 0, 1, 1]
    got = [ev.bytes_at(o, n) for o, n in zip(ev.cols["payload_off"], ev.cols["payload_len"])]
    assert got == [b"AAAA", b"BB", b"CCC", b"apn"]
    strs = ev.items_of("str")
    assert strs["row"].tolist() == [3]
    assert ev.bytes_at(strs["b"][0], strs["c"][0]) == b"apn"
    assert ev.files == {0: "a", 1: "b"}


def test_take_keeps_items_and_drops_parents_outside():
    ev = Events.concat([table([
        {"frame": 1, "proto": S1AP}, {"frame": 1, "proto": NAS, "parent": 0},
        {"frame": 2, "proto": S1AP, "items": [(ITEM_KEYS["cause"], 1, 0, 21, -1)]}])])
    sub = ev.take(np.array([1, 2]))
    assert sub.cols["frame"].tolist() == [1, 2]
    assert sub.cols["parent"].tolist() == [-1, -1]
    assert sub.items["row"].tolist() == [1]


def test_digits_round_trip():
    ev = Events.concat([table([{"frame": 1, "imsi": "001010000000001"}, {"frame": 2}])])
    assert ev.digits("imsi", 0) == "001010000000001"
    assert ev.digits("imsi", 1) == ""
    assert ev.digits_column("imsi").tolist() == [b"001010000000001", b""]
