#!/usr/bin/env python3
"""Regenerate the shipped samples, byte for byte:

    python samples/make_samples.py [OUTDIR]        # OUTDIR defaults to samples/

writes attach_reject.pcap (S1-MME, S6a towards the HSS, S11 towards the SGW) with
attach_reject.expected.json, and tickets.csv. Everything is synthetic (test PLMN 001/01) and fixed:
seed, timestamps and subscribers are constants below.

It also writes day/: a small mixed network day from the generator behind ``chrtool simulate``
(chrtool.simulate.world.run, seed DAY_SEED), with captures of two probes, each eNB's chr-v1
file and truth.json, its expected findings. Its subscriber numbers start at DAY_FIRST_UE, so
its IMSIs and MSISDNs never meet the hand-placed subscribers above when chrtool reads all of
samples/.
"""
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run from a source tree without installing

from chrtool.simulate import world  # noqa: E402
from chrtool.simulate.scenarios import Enb, Mme, Ue, simulate, utc_ns  # noqa: E402

SEED = 20261127
START = utc_ns("2026-11-27T09:00:00Z")
MME = Mme(name="MME-SH-01", ip="10.10.0.1", plmn="00101", mmegi=0x8001, mmec=1,
          hss_name="HSS-SH-01", hss_ip="10.10.3.1", sgw_c_ip="10.10.1.11")
ENBS = [Enb("ENB-SH-PD-0421", "10.20.4.21", enb_id=0x19A21, tac=0x2A01),
        Enb("ENB-SH-PD-0422", "10.20.4.22", enb_id=0x19A22, tac=0x2A02)]
UES = [
    # healthy: attaches at 09:00:01 on eNB 0421, detaches a few seconds later; its eNB/MME UE S1AP
    # IDs are then free again and go to the #7 subscriber below
    Ue("001010000000001", "8613912340001", "attach-ok", enb=0, cell=1, start=1.0, then="detach"),
    # rejected at once on eNB 0422 (#15): the MME gets vectors and the subscription (AIR/AIA,
    # ULR/ULA with the MSISDN and regional zone codes not covering TA 0x2A02), then refuses the TA
    Ue("001010000000003", "8613912340003", "attach-reject", enb=1, cell=2, start=2.5,
       emm_cause=15),
    # VIP: attaches with a GUTI of another MME (Identity procedure), authenticates, the HSS answers
    # the ULR with 5420 DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION and the MME rejects with #7 EPS
    # services not allowed; reuses the healthy UE's S1AP IDs
    Ue("001010000000002", "8613912340002", "attach-reject", enb=0, cell=1, start=14.0,
       emm_cause=7, identity=True, reject_after="auth"),
]
TICKETS = [
    {"ticket": "T2026112700017", "msisdn": "8613912340002", "imsi": "001010000000002",
     "time": "2026-11-27T17:00:00+08:00",
     "address": "No. 1 Example Road, Pudong New Area, Shanghai (synthetic)",
     "phenomenon": "cannot access 4G network / no service", "customer_class": "VIP"},
    {"ticket": "T2026112700023", "msisdn": "8613912340003", "imsi": "",
     "time": "2026-11-27T17:05:00+08:00",
     "address": "No. 9 Sample Lane, Pudong New Area, Shanghai (synthetic)",
     "phenomenon": "cannot access 4G network / no service", "customer_class": "ordinary"},
]

# the day: four healthy lives (with a resynchronisation as a normal-but-alarming control) and one
# fault for each failing node, in 15 minutes from 08:00 UTC (an hour before the story above)
DAY_SEED = 2026
DAY_FIRST_UE = 1001            # IMSIs 00101/00102/99970 + 0000001001..
DAY_HOURS = 0.25
DAY_SCENARIOS = ["healthy", "healthy", "healthy", "healthy", "auth-resync", "hss-user-unknown",
                 "attach-reject-congestion", "pgw-reject", "mme-silent", "ics-failure",
                 "erab-setup-failure", "rlf-coverage", "ho-prep-failure", "endc-reject-congestion",
                 "scg-failure-coverage"]


def make_day(outdir: Path) -> dict:
    for old in [*outdir.glob("capture/*.pcapng"), *outdir.glob("chr/*.chr")]:
        old.unlink()                      # a stale file of an older day would join this one
    return world.run(outdir, seed=DAY_SEED, ues=len(DAY_SCENARIOS), cells=6, scenarios=DAY_SCENARIOS,
                     hours=DAY_HOURS, first_ue=DAY_FIRST_UE)


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    capture = simulate(UES, ENBS, MME, start_ns=START, seed=SEED)
    capture.write(outdir / "attach_reject.pcap")       # classic pcap, Ethernet, us resolution
    with open(outdir / "attach_reject.expected.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(capture.expected("attach_reject.pcap"), f, indent=2)
        f.write("\n")
    with open(outdir / "tickets.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(TICKETS[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(TICKETS)
    make_day(outdir / "day")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
