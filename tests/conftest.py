"""Shared fixtures (the helpers themselves live in tests/oracle.py, importable as `oracle`)."""
import pytest

from oracle import CAPTURES, SAMPLES, tshark_path


@pytest.fixture
def tshark():
    return tshark_path()


@pytest.fixture(scope="session")
def captures_dir():
    return CAPTURES


@pytest.fixture(scope="session")
def samples_dir():
    return SAMPLES
