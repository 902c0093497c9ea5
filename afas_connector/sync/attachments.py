"""Files between AFAS and ERPNext, the rules without frappe: which AFAS files are new or changed, what
an image column holds, and whether files fit in one UpdateConnector call.

AFAS sends and takes files as base64 text inside JSON (``filedata`` from the File-, Image- and
SubjectConnector; ``FileStream`` in a ``KnSubjectAttachment``), and refuses a request over 75 MB
(``endpoint/en/knsubject-post.md``; HTTP 413): base64 makes a file a third larger, so a 60 MB PDF
does not fit. :func:`too_large` says so before anything is read or sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from afas_connector.afas.update import MAX_BODY_BYTES

#: What a file's JSON around its base64 text takes at most (``{"Fields": {"FileName": …, "FileStream": ""}}``).
FILE_OVERHEAD = 64
#: A megabyte as the client counts AFAS's limit (75 MB = 75 × 1,048,576 bytes).
_MB = 1_048_576
#: PNG, JPEG, GIF, WebP and BMP signatures: an image column holding the picture itself, not an id.
_IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM")


def encoded_size(size: int) -> int:
	"""Bytes a file of ``size`` bytes takes as base64 (what AFAS receives)."""
	return 4 * math.ceil(max(0, int(size or 0)) / 3)


def too_large(files: Iterable[tuple[str, int]], rest: int = 0, limit: int = MAX_BODY_BYTES) -> str | None:
	"""Why ``files`` (``(name, size in bytes)``) and ``rest`` bytes of body do not fit in one AFAS call
	of at most ``limit`` bytes (75 MB), naming the largest files; None when they fit."""
	listed = [(name, int(size or 0)) for name, size in files]
	total = rest + sum(
		encoded_size(size) + len(name.encode("utf-8")) + FILE_OVERHEAD for name, size in listed
	)
	if total <= limit:
		return None
	largest = sorted(listed, key=lambda item: -item[1])[:3]
	names = ", ".join(f"{name} ({size / _MB:.1f} MB)" for name, size in largest)
	return (
		f"The attachments come to {total / _MB:.1f} MB as AFAS receives them (base64); AFAS takes at "
		f"most {limit / _MB:.0f} MB per call. Largest: {names}. Remove or shrink a file, then retry."
	)


def image_value(value: Any) -> tuple[str, Any] | None:
	"""What an image column of a GetConnector holds: ``("id", text)`` for an id the ImageConnector
	serves, ``("data", bytes)`` when the column carries the picture itself (base64 of an image), None
	when empty. (AFAS's specs type the column as text without saying which; its ImageConnector takes
	"the id of the image".)"""
	if value in (None, ""):
		return None
	text = str(value).strip()
	if len(text) > 64:
		try:
			data = base64.b64decode(text, validate=True)
		except (binascii.Error, ValueError):
			data = b""
		if data.startswith(_IMAGE_SIGNATURES):
			return ("data", data)
	return ("id", text)


def version_of(kind: str, value: Any) -> str:
	"""What identifies one version of an image: its id, or the hash of the picture itself."""
	if kind == "data":
		return "sha1:" + hashlib.sha1(value).hexdigest()
	return str(value)


def changed(
	rows: Iterable[Mapping[str, Any]], known: Mapping[str, str], reference: str, version: str
) -> list[Mapping[str, Any]]:
	"""The rows whose file is new (``reference`` unknown) or changed (another ``version`` than the one
	copied): the only ones a run downloads."""
	result = []
	for row in rows:
		ref = row.get(reference)
		if ref in (None, ""):
			continue
		if known.get(str(ref)) != str(row.get(version) or ""):
			result.append(row)
	return result


def safe_file_name(name: Any, fallback: str) -> str:
	"""A file name without directories or characters a file system refuses."""
	text = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", str(name or "").strip()).strip(". ")
	return text[:140] or fallback


def without_file_data(data: Any) -> Any:
	"""A body or record as plain data with every ``FileStream`` replaced by its size: what a Sync Log
	keeps of a push with attachments (a log never holds the files themselves)."""
	if isinstance(data, dict):
		return {
			k: (
				f"<base64, {len(v)} characters>"
				if k == "FileStream" and isinstance(v, str)
				else without_file_data(v)
			)
			for k, v in data.items()
		}
	if isinstance(data, list):
		return [without_file_data(v) for v in data]
	return data
