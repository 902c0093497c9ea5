"""Files between AFAS and ERPNext, the pure rules: AFAS's 75 MB per call counted as AFAS receives the
files (base64), what an image column holds, which AFAS files a run downloads, and a log without files."""

from __future__ import annotations

import base64

from afas_connector.afas.update import MAX_BODY_BYTES
from afas_connector.simulator.demo_data import MINI_PNG
from afas_connector.sync.attachments import (
	changed,
	encoded_size,
	image_value,
	safe_file_name,
	too_large,
	version_of,
	without_file_data,
)


def test_base64_makes_a_file_a_third_larger():
	assert [encoded_size(n) for n in (0, 1, 2, 3, 4, 300)] == [0, 4, 4, 4, 8, 400]
	assert encoded_size(3) == len(base64.b64encode(b"abc"))


def test_75_mb_is_counted_as_afas_receives_the_files():
	fits = 56 * 1_048_576  # 56 MB is 74.7 MB as base64
	assert too_large([("a.pdf", fits)]) is None
	problem = too_large([("a.pdf", fits), ("scan.pdf", 2_000_000)])
	assert problem and "75 MB" in problem and "scan.pdf" in problem and "a.pdf" in problem
	assert too_large([("a.pdf", fits)], rest=MAX_BODY_BYTES) is not None, "the rest of the body counts too"
	assert too_large([("b.pdf", 100)], limit=100) is not None


def test_an_image_column_holds_an_id_or_the_picture_itself():
	assert image_value(None) is None and image_value("") is None
	assert image_value("1001") == ("id", "1001")
	inline = base64.b64encode(MINI_PNG * 3).decode()
	kind, data = image_value(inline)
	assert kind == "data" and data.startswith(b"\x89PNG")
	assert image_value("x" * 80)[0] == "id", "long text that is no picture is an id"
	assert version_of("id", "1001") == "1001"
	assert version_of("data", b"abc") != version_of("data", b"abd")


def test_only_new_and_changed_files_are_downloaded():
	rows = [
		{"attachment_id": 1, "file_id": "A"},
		{"attachment_id": 2, "file_id": "B"},
		{"attachment_id": 3, "file_id": "C"},
		{"attachment_id": None, "file_id": "D"},
	]
	known = {"1": "A", "2": "OLD"}
	assert [r["attachment_id"] for r in changed(rows, known, "attachment_id", "file_id")] == [2, 3]


def test_file_names_and_logs():
	assert safe_file_name("../../etc/passwd", "x") == "_.._etc_passwd", "no directories, no leading dots"
	assert safe_file_name("", "fallback") == "fallback"
	assert safe_file_name('offerte "2024".pdf', "x") == "offerte _2024_.pdf"
	record = {
		"fields": {"Ds": "x"},
		"objects": {"KnSubjectAttachment": [{"fields": {"FileName": "a.pdf", "FileStream": "QUJD"}}]},
	}
	kept = without_file_data(record)
	assert kept["objects"]["KnSubjectAttachment"][0]["fields"] == {
		"FileName": "a.pdf",
		"FileStream": "<base64, 4 characters>",
	}
	assert kept["fields"] == {"Ds": "x"}
