import gzip

import pytest

from chrtool.errors import InputError
from chrtool.inputs.sources import CHR_V1_MAGIC, classify, expand, sniff, sniff_bytes

PCAP_LE = b"\xd4\xc3\xb2\xa1" + b"\x02\x00\x04\x00" + bytes(16)


@pytest.mark.parametrize("head,kind", [
    (PCAP_LE, "capture"), (b"\xa1\xb2\xc3\xd4", "capture"), (b"\x4d\x3c\xb2\xa1", "capture"),
    (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", "capture"), (CHR_V1_MAGIC + b"\x01", "chr-v1"),
    (b"\xef\xbb\xbf<?xml version='1.0'?><traceCollecFile/>", "xml"),
    (b"  \n<traceCollecFile>", "xml"), (b"time,imsi,event\n1,2,3\n", "csv"),
    (b"# Samples\nsome, text", None), (b'{"a": 1}', None), (b"\x00\x01\x02garbage", None),
])
def test_formats_are_recognised_by_content(head, kind):
    assert sniff_bytes(head) == kind


def test_gzip_is_unwrapped_before_sniffing(tmp_path):
    path = tmp_path / "capture.bin"
    with gzip.open(path, "wb") as fh:
        fh.write(PCAP_LE)
    assert sniff(str(path)) == ("capture", True)


def test_expand_directories_recursively_globs_and_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.pcap").write_bytes(PCAP_LE)
    (tmp_path / "a.pcap").write_bytes(PCAP_LE)
    (tmp_path / ".hidden").write_bytes(PCAP_LE)
    (tmp_path / "notes.txt").write_text("hello")
    found = expand([str(tmp_path)])
    assert found == [str(tmp_path / "a.pcap"), str(tmp_path / "notes.txt"),
                     str(tmp_path / "b" / "two.pcap")]
    assert expand([str(tmp_path / "*.pcap")]) == [str(tmp_path / "a.pcap")]
    # the same file named twice is read once
    assert expand([str(tmp_path / "a.pcap"), str(tmp_path / "a.pcap")]) == [str(tmp_path / "a.pcap")]


def test_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        expand([str(tmp_path / "nope*.pcap")])


def test_classify_skips_what_it_cannot_read_and_numbers_the_rest(tmp_path):
    (tmp_path / "a.pcap").write_bytes(PCAP_LE)
    (tmp_path / "readme.md").write_text("# not a capture\n")
    sources, skipped = classify(expand([str(tmp_path)]))
    assert [(s.kind, s.file_id) for s in sources] == [("capture", 0)]
    assert [p for p, _ in skipped] == [str(tmp_path / "readme.md")]
