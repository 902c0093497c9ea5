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


#: The extensions a file copied from AFAS keeps: documents and pictures a browser shows as what they are
#: (a PDF, an image, plain text) or downloads, never as a page. Frappe serves a file with the type its
#: extension names, inline, on the site's own origin (``/files``, and ``/private/files`` unless the
#: extension is one of .svg .html .htm .xml that Frappe 15 and 16 send as a download — and behind nginx
#: not even those): an ``.xhtml``, ``.svg``, ``.html`` or ``.js`` made from AFAS's name or mimetype
#: would run its script as the user who opens it. So the list says what may stay, not what may not.
SAFE_EXTENSIONS = frozenset(
	{
		"pdf", "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff",
		"txt", "csv", "rtf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
		"zip", "msg", "eml",
	}
)  # fmt: skip
#: What a file of any other type gets after its own name: served as ``application/octet-stream``, a
#: download; the name still says what it was (``tekening.svg.bin``).
UNSAFE_SUFFIX = "bin"
#: A picture's extension by its mimetype: what a copy from the ImageConnector (which has no name) gets.
PICTURE_TYPES = {
	"image/png": "png",
	"image/jpeg": "jpg",
	"image/jpg": "jpg",
	"image/pjpeg": "jpg",
	"image/gif": "gif",
	"image/webp": "webp",
	"image/bmp": "bmp",
	"image/tiff": "tif",
}
#: The extension of a file whose name has none, by the mimetype AFAS gives it.
MIME_EXTENSIONS = {**PICTURE_TYPES, "application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv"}
#: At most this many characters in a stored file name (Frappe's ``file_name`` is a Data field).
MAX_FILE_NAME = 140
#: Directory separators, characters file systems or URLs give a meaning (``?#%``), quotes and markup,
#: control characters, and the Unicode controls that make a name read backwards (``gpj.exe`` shown as
#: ``exe.jpg``).
_UNSAFE_CHARS = re.compile(r"[\\/:*?\"'<>|#%\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def stored_file_name(name: Any, fallback: str, mimetype: str | None = None) -> str:
	"""The name a file from AFAS is stored under: no directories, no control or markup characters, at
	most :data:`MAX_FILE_NAME` characters, and an extension from :data:`SAFE_EXTENSIONS` (from the
	name, or from ``mimetype`` when the name has none). Any other file keeps its name with ``.bin``
	after it, so it is a download and never a page on the site's origin."""
	text = _clean(name) or _clean(fallback) or "file"
	stem, dot, extension = text.rpartition(".")
	if not (dot and stem):
		stem, extension = text, MIME_EXTENSIONS.get(_media_type(mimetype), "")
	if extension.lower() in SAFE_EXTENSIONS:
		return _bounded(stem, extension.lower())
	return _bounded(text, UNSAFE_SUFFIX)


def image_file_name(ref: Any, mimetype: str | None) -> str:
	"""The name of a picture copied from the ImageConnector: the record's key (which may hold dots) and
	the extension of its picture type, or ``.bin`` for any other type (``image/svg+xml`` runs script)."""
	extension = PICTURE_TYPES.get(_media_type(mimetype or "image/png"), UNSAFE_SUFFIX)
	return _bounded(_clean(ref) or "image", extension)


def _clean(name: Any) -> str:
	return " ".join(_UNSAFE_CHARS.sub("_", str(name or "")).split()).strip(". ")


def _media_type(mimetype: str | None) -> str:
	return (mimetype or "").split(";")[0].strip().lower()


def _bounded(stem: str, extension: str) -> str:
	return (stem[: MAX_FILE_NAME - len(extension) - 1].rstrip(". ") or "file") + "." + extension


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
