"""tshark as the oracle for chrtool.simulate: skipped without tshark, a failure under CI."""
import json
import os
import shutil
import subprocess

import pytest

# Preferences that make tshark verify every checksum we write. (Absolute TSNs are in the
# sctp.*_raw fields.)
CHECKS = ("-o", "sctp.checksum:CRC 32c", "-o", "ip.check_checksum:TRUE",
          "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE")


class Tshark:
    def __init__(self, path: str):
        self.path = path

    def run(self, capture, *args) -> str:
        cmd = [self.path, "-n", "-r", str(capture), *CHECKS, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def fields(self, capture, *fields, filter=None) -> list[list[str]]:
        """One row per frame; several occurrences of a field are joined with ','."""
        args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
        for f in fields:
            args += ["-e", f]
        if filter:
            args += ["-Y", filter]
        return [line.split("\t") for line in self.run(capture, *args).splitlines()]

    def json(self, capture, filter=None) -> list[dict]:
        return json.loads(self.run(capture, "-T", "json", *(["-Y", filter] if filter else [])))

    def problems(self, capture) -> list[list[str]]:
        """Frames tshark finds malformed or flags with an expert error (bad checksums included)."""
        return self.fields(capture, "frame.number", "_ws.expert.message",
                           filter='_ws.malformed || _ws.expert.severity == "Error"')


@pytest.fixture(scope="session")
def tshark() -> Tshark:
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI (apt-get install tshark)")
        pytest.skip("tshark not installed")
    return Tshark(path)
