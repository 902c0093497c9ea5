"""Issue 23 §2: a file from AFAS is stored under a name that cannot make it active content on the site's
origin: no directories, no control or markup characters, bounded, and an extension from an allow-list
(anything else is a ``.bin`` download), whatever AFAS's name or mimetype says."""

from __future__ import annotations

import re

import pytest

from afas_connector.sync.attachments import MAX_FILE_NAME, SAFE_EXTENSIONS, image_file_name, stored_file_name

ACTIVE = ("svg", "html", "htm", "xhtml", "xht", "xml", "js", "mjs", "shtml", "mht", "hta", "xsl")


@pytest.mark.parametrize(
	("name", "mimetype", "stored"),
	[
		("offerte.pdf", "application/pdf", "offerte.pdf"),
		("Offerte 2024.DOCX", None, "Offerte 2024.docx"),
		("plattegrond.pdf", "text/html", "plattegrond.pdf"),  # served by its extension: a PDF
		("tekening.svg", "image/svg+xml", "tekening.svg.bin"),
		("<script>alert(1)</script>.html", "text/html", "_script_alert(1)__script_.html.bin"),
		("rapport.xhtml", "application/xhtml+xml", "rapport.xhtml.bin"),
		("../../etc/evil.svg", None, "_.._etc_evil.svg.bin"),
		("a\x00b\u202egpj.exe", None, "a_b_gpj.exe.bin"),
		(".htaccess", None, "htaccess.bin"),
		("contract", "application/pdf", "contract.pdf"),
		("contract", "text/html", "contract.bin"),
		("", None, "F-1.bin"),
		("offerte #3 100%?.txt", "text/plain", "offerte _3 100__.txt"),
	],
)
def test_stored_file_names(name, mimetype, stored):
	assert stored_file_name(name, "F-1", mimetype) == stored


def test_every_stored_name_is_short_plain_and_allowed():
	names = ["x" * 500 + ".pdf", "y" * 500, "<img src=x onerror=alert(1)>" * 20 + ".svg", "z." + "p" * 300]
	names += [f"file.{extension}" for extension in ACTIVE]
	for name in names:
		stored = stored_file_name(name, "fallback", "text/html")
		assert len(stored) <= MAX_FILE_NAME, stored
		assert not re.search(r"[<>/\\\x00-\x1f\"']", stored), stored
		assert stored.rsplit(".", 1)[-1] in SAFE_EXTENSIONS | {"bin"}, stored
	assert not SAFE_EXTENSIONS & set(ACTIVE)


def test_pictures_are_named_by_their_type_and_any_other_type_is_a_download():
	assert image_file_name("ART.1001", "image/png") == "ART.1001.png", "a key with a dot keeps it"
	assert image_file_name("1002", "image/jpeg; charset=binary") == "1002.jpg"
	assert image_file_name("1003", None) == "1003.png"
	assert (
		image_file_name("K<img src=x onerror=alert(1)>", "image/svg+xml")
		== "K_img src=x onerror=alert(1)_.bin"
	)
	assert image_file_name("1004", "text/html") == "1004.bin"
	assert image_file_name("1005", "application/pdf") == "1005.bin", "not a picture for an image field"
