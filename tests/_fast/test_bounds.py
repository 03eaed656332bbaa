"""Byte decoders on cut and mutated messages, each alone at the very end of its data buffer.

The other fuzz tests pack many payloads into one large buffer, where a read past a message's
end still lands in memory the table owns. Here nothing follows the message: under the sanitizer
build (.ci/sanitize, AddressSanitizer) any read past it is a reported error; in a normal build
these are never-crash tests like the others.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core_corpus as CC
import nas_corpus as NC
from chrtool._fast import diameter, gtpv2, nas_eps
from chrtool._fast.events import FLAGS, PROTO, EventTable

DECODERS = {"GTPv2": gtpv2.decode, "Diameter": diameter.decode, "NAS-EPS": nas_eps.decode}
SEEDS = {
    "GTPv2": [raw for _n, raw in CC.gtpv2_session() + CC.gtpv2_causes()[:20]],
    "Diameter": [raw for _n, raw in CC.diameter_s6a() + CC.diameter_results()[:10]],
    "NAS-EPS": [raw for _n, raw, _mo in NC.identities() + NC.message_types()],
}


def flush_table(payload, proto):
    """One undecoded row whose payload ends exactly where the data buffer's allocation ends."""
    size = max(len(payload), 1024)             # EventTable allocates at least 1024 data bytes
    t = EventTable(capacity=16, data_capacity=size)
    assert t.data_array.shape[0] == size
    t.add_python_data(np.zeros(size - len(payload), np.uint8))
    off = t.add_python_data(np.frombuffer(payload, np.uint8))
    t.add_python_row(frame=1, proto=PROTO[proto], payload_off=off, payload_len=len(payload))
    return t


def decode_alone(payload, proto):
    t = flush_table(payload, proto)
    DECODERS[proto](t)
    it = t.items()
    strs = it["key"] == 7                          # str items point inside the data in use
    assert np.all(it["b"][strs] + it["c"][strs] <= t.n_data)
    return t


def test_every_cut_of_every_seed():
    for proto, seeds in SEEDS.items():
        for raw in seeds:
            for k in range(len(raw) + 1):
                t = decode_alone(raw[:k], proto)
                if k < len(raw) and proto != "NAS-EPS":
                    # a GTPv2 / Diameter message knows its length: a cut one (or the piggybacked
                    # message it carries) is malformed
                    flags = t.column("flags")
                    assert (flags & FLAGS["malformed"]).any(), (proto, raw[:k].hex())


@st.composite
def mutated(draw):
    proto = draw(st.sampled_from(sorted(SEEDS)))
    raw = bytearray(draw(st.sampled_from(SEEDS[proto])))
    for _ in range(draw(st.integers(1, 6))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return proto, bytes(raw[:draw(st.integers(0, len(raw)))])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_messages(case):
    proto, raw = case
    decode_alone(raw, proto)
