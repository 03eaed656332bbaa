"""Synthesis of realistic LTE signalling captures, with ground truth.

Modules (import the one you need; this package imports nothing heavy itself):

- :mod:`chrtool.simulate.pcap_writer` -- pure-Python pcap/pcapng writers, link layers, IPv4/IPv6 (with
  fragmentation), SCTP (associations, bundling, chunked user messages, SACK), UDP and TCP.
- :mod:`chrtool.simulate.aper_pdu` -- what S1AP and X2AP PDUs share: procedure and IE tables from
  the ASN.1, the octet-aligned APER framing laid out around pycrate's IE value encodings, causes.
- :mod:`chrtool.simulate.s1ap_build`, :mod:`chrtool.simulate.x2ap_build` -- S1AP and X2AP (with
  EN-DC) PDUs encoded with pycrate (APER); :mod:`chrtool.simulate.rrc_build` -- the fixed RRC
  containers they carry.
- :mod:`chrtool.simulate.nas_build` -- NAS-EPS (TS 24.301) messages encoded with pycrate_mobile.
- :mod:`chrtool.simulate.diameter_build` -- Diameter base and S6a (RFC 6733, TS 29.272), hand-encoded.
- :mod:`chrtool.simulate.gtpv2_build` -- GTPv2-C S11 messages (TS 29.274), hand-encoded.
- :mod:`chrtool.simulate.scenarios` -- a small event-driven engine that plays UE procedures over one
  SCTP association per eNB, S6a to an HSS and S11 to an SGW, and returns the frames plus a
  ground-truth record per UE (samples/attach_reject.pcap).
- :mod:`chrtool.simulate.world`, :mod:`chrtool.simulate.catalogue` -- ``chrtool simulate``: the
  network day (topology, population, scenarios as data, streaming outputs);
  :mod:`chrtool.simulate.chr_export` -- its CHR as vendor CSV and 32.423 XML;
  :mod:`chrtool.simulate.score` -- judging a diagnosis against the truth.

Everything here is deterministic: the same arguments give byte-identical output.
"""
