"""tshark as the oracle for chrtool.simulate, with every checksum check on (the `tshark` fixture
of tests/conftest.py: skipped without tshark, a failure under CI)."""
import pytest

# Preferences that make tshark verify every checksum we write. (Absolute TSNs are in the
# sctp.*_raw fields.)
CHECKS = ("-o", "sctp.checksum:CRC 32c", "-o", "ip.check_checksum:TRUE",
          "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE")


@pytest.fixture(scope="session")
def tshark(tshark):
    return tshark.with_options(*CHECKS)
