"""chrtool/output/procedures.py: the timeline document and the procedure table."""
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import build
from chrtool.output.procedures import COLUMNS, procedure_rows, timeline_document, timeline_text
from oracle import CAPTURES

TESTEPC = CAPTURES / "open5gs" / "testepc_48bfe83c.pcapng"


def test_a_message_whose_peer_id_is_wrong_is_flagged_on_the_ladder():
    """tshark: in open5gs's test harness capture, frame 243 (DownlinkNASTransport) gives the
    connection eNB UE S1AP ID 1 the MME UE S1AP ID 4; the UE's uplink 244 still names the
    previous connection's MME ID 16777373. It stays on its connection and is flagged."""
    ev = Run([str(TESTEPC)]).events()
    s = correlate(ev)
    ue = s.find(imsi="001010123456819")[0]
    procs = build(ev, s, [ue.index])
    doc = timeline_document(ev, s, ue, procs, ue.imsi, None)

    def messages(ps):
        for p in ps:
            yield from p["messages"]
            yield from messages(p["children"])
    rows = {m["frame"]: m for m in [*messages(doc["procedures"]), *doc["other_messages"]]}
    assert rows[244]["inconsistent_ids"] is True and rows[244]["mme_ue_s1ap_id"] == 16777373
    assert "inconsistent_ids" not in rows[243]
    assert "#244  S1AP UplinkNASTransport" in timeline_text(doc)
    assert "(its peer ID is not the connection's)" in timeline_text(doc)


def test_procedure_rows_have_every_column():
    ev = Run([str(TESTEPC)]).events()
    s = correlate(ev)
    rows = procedure_rows(ev, s, build(ev, s))
    assert rows and all(tuple(r) == COLUMNS for r in rows)
    assert {r["outcome"] for r in rows} <= {"success", "reject", "failure", "timeout", "abandoned",
                                            "interrupted", "open"}
    # numbered within the subscriber: (subscriber, procedure) names one, and a parent is the
    # subscriber's own earlier procedure
    key = {(r["subscriber"], r["procedure"]): r for r in rows}
    assert len(key) == len(rows)
    for u in {r["subscriber"] for r in rows}:
        assert sorted(r["procedure"] for r in rows if r["subscriber"] == u) == \
            list(range(sum(1 for r in rows if r["subscriber"] == u)))
    assert all((r["subscriber"], r["parent"]) in key and r["parent"] < r["procedure"]
               for r in rows if r["parent"] is not None)
