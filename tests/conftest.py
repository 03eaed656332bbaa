"""Shared fixtures (the helpers themselves live in tests/oracle.py, importable as `oracle`)."""
import pytest

from oracle import CAPTURES, SAMPLES, Tshark, tshark_path


@pytest.fixture(scope="session")
def tshark() -> Tshark:
    """tshark as an oracle; the test is skipped without it, and fails under CI (oracle.py)."""
    return Tshark(tshark_path())


@pytest.fixture(scope="session")
def captures_dir():
    return CAPTURES


@pytest.fixture(scope="session")
def samples_dir():
    return SAMPLES
