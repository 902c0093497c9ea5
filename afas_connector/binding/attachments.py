"""Files between AFAS and ERPNext documents: AFAS pictures and dossier attachments copied onto the
documents an inbound mapping synced, and the files attached to a pushed document sent with it.

- **Pictures** (a mapping's *Image Field*): a GetConnector lists each record's image id
  (``Profit_Article_image``: ``ItemCodeId``, ``Image``); the ImageConnector serves the picture, which
  becomes a private File on the document and its image field.
- **Dossier attachments** (*Copy Dossier Attachments*): ``Profit_Subject_Attachments`` lists every file
  of every dossier item (``attachment_id``, ``subject_id``, ``file_id``, ``file_name``); the mapping's
  dossier GetConnector (``Profit_Subjects``) says which record an item belongs to; the SubjectConnector
  serves the file (``howto-bijlage-dossier.md``). Files of dossier items this app made (outbound
  ``KnSubject`` mappings) are not copied back.
- **Outbound** (*Send Attachments*): the document's files that did not come from AFAS and were not
  sent yet go with its push, each as a line of the attachment object (``KnSubjectAttachment``:
  ``FileName``, ``FileStream``); AFAS's 75 MB per call is checked before any file is read.

Each file is copied or sent once: an *AFAS File Link* per file and AFAS environment. A run reads
AFAS's lists (small rows) and downloads only what is new, or changed (another file id or image id,
whose copy then replaces the old one). Files copied from AFAS are private, named without directories or
markup, and keep their extension only when it is on an allow-list (PDF, pictures, office files, text):
any other file (``.svg``, ``.html``, ``.xhtml`` …) gets ``.bin`` after its name and is a download, never
a page on the site's origin (``sync/attachments.py``). Files sent stay as they are.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasError, FilterSet, Record
from afas_connector.afas.update import build_body, encode_body
from afas_connector.binding.connection import environment
from afas_connector.binding.constants import FILE_LINK, LINK, MAPPING
from afas_connector.binding.record_links import name_of
from afas_connector.sync.attachments import (
	changed,
	image_file_name,
	image_value,
	safe_file_name,
	stored_file_name,
	too_large,
	version_of,
)
from afas_connector.sync.mapping import CONSTANT
from afas_connector.sync.transforms import ROW_TRANSFORMS

#: AFAS's standard list of dossier item files, and its columns (``Dossiers en bijlagen en workflows.json``).
SUBJECT_ATTACHMENTS = "Profit_Subject_Attachments"
#: The dossier item id column of AFAS's dossier GetConnectors.
SUBJECT_KEYS = {"Profit_Subjects": "SubjectId", "ProfitSubjects": "SbId", "ProfitSubjectsAuthorized": "SbId"}
#: Rows per page when reading AFAS's lists of files (a few narrow columns).
LIST_PAGE = 1000


class AttachmentsTooLarge(frappe.ValidationError):
	"""The files of one push do not fit in AFAS's 75 MB per call."""


# ------------------------------------------------------------------ inbound


def copy_files(mapping: Any, client: Any) -> dict[str, Any]:
	"""Copy the pictures and dossier attachments of an inbound mapping's records that are new or changed
	in AFAS; commits after each file. Returns ``{"copied", "replaced", "errors": [{key, field, message}]}``;
	a file AFAS does not serve (404) or a record not in ERPNext yet is tried again on the next run."""
	result: dict[str, Any] = {"copied": 0, "replaced": 0, "errors": []}
	steps = []
	if (mapping.image_field or "").strip():
		steps.append(("Image", mapping.image_connector, _copy_images))
	if mapping.dossier_attachments:
		steps.append(("Dossier Attachment", SUBJECT_ATTACHMENTS, _copy_dossier_files))
	frappe.flags.afas_inbound = True  # the files came from AFAS: never pushed back
	try:
		for kind, connector, step in steps:
			try:
				step(mapping, client, result)
			except AfasError as exc:  # AFAS refused a list (not in the App Connector): the rows stand
				frappe.db.rollback()
				result["errors"].append({"key": connector, "field": kind, "message": str(exc)[:500]})
	finally:
		frappe.flags.afas_inbound = False
	return result


def _copy_images(mapping: Any, client: Any, result: dict[str, Any]) -> None:
	record_field, id_field = mapping.image_record_field, mapping.image_id_field
	known = _known(mapping, "Image")
	rows = []
	for row in client.iter_rows(mapping.image_connector, order_by=record_field, take=LIST_PAGE):
		found = image_value(row.get(id_field))
		if found is None or row.get(record_field) in (None, ""):
			continue
		rows.append({"ref": str(row[record_field]), "version": version_of(*found), "image": found})
	for row in changed(rows, {k: v.afas_version for k, v in known.items()}, "ref", "version"):
		name = name_of(mapping.name, row["ref"])
		if not name or not frappe.db.exists(mapping.erpnext_doctype, name):
			continue  # the record is not in ERPNext yet: the next run copies its picture

		def fetch(row: dict[str, Any] = row) -> tuple[str, bytes]:
			kind, value = row["image"]
			if kind == "data":  # a picture by its signature (PNG, JPEG, GIF, WebP, BMP)
				return image_file_name(row["ref"], "image/png"), value
			image = client.image(value, 0)
			return image_file_name(row["ref"], image.mimetype), image.data

		_copy_one(mapping, "Image", row["ref"], row["version"], name, fetch, known.get(row["ref"]), result)


def _copy_dossier_files(mapping: Any, client: Any, result: dict[str, Any]) -> None:
	known = _known(mapping, "Dossier Attachment")
	rows: list[dict[str, Any]] = []
	for page in client.iter_keyset_pages(SUBJECT_ATTACHMENTS, "attachment_id", take=LIST_PAGE):
		rows.extend(page.rows)
	pending = changed(rows, {k: v.afas_version for k, v in known.items()}, "attachment_id", "file_id")
	if not pending:
		return
	own = _subjects_made_here()
	owners = _subject_owners(mapping, client, {str(r["subject_id"]) for r in pending} - own)
	find = _owner_lookup(mapping)
	for row in pending:
		ref, subject = str(row["attachment_id"]), str(row["subject_id"])
		owner = owners.get(subject)
		if subject in own or owner in (None, ""):
			# not a file of this mapping's records (or one this app sent): never looked at again
			_save_link(mapping, "Dossier Attachment", ref, str(row.get("file_id") or ""), known.get(ref))
			frappe.db.commit()
			continue
		name = find(str(owner))
		if not name:
			continue  # its record is not in ERPNext yet: the next run copies it

		def fetch(row: dict[str, Any] = row) -> tuple[str, bytes]:
			found = client.subject_attachment(row["subject_id"], row["file_id"])
			name = row.get("file_name") or found.filename
			return stored_file_name(name, str(row["file_id"]), found.mimetype), found.data

		_copy_one(
			mapping, "Dossier Attachment", ref, str(row["file_id"]), name, fetch, known.get(ref), result
		)


def _copy_one(
	mapping: Any,
	kind: str,
	ref: str,
	version: str,
	name: str,
	fetch: Callable[[], tuple[str, bytes]],
	old: Any | None,
	result: dict[str, Any],
) -> None:
	doctype = mapping.erpnext_doctype
	field = (mapping.image_field or "").strip() if kind == "Image" else None
	frappe.db.savepoint("afas_file")
	try:
		file_name, content = fetch()  # named by the allow-list of sync/attachments.py
		file = _attach(doctype, name, file_name, content, field)
		if field:
			frappe.db.set_value(doctype, name, field, file.file_url, update_modified=False)
		if old and old.file and old.file != file.name and frappe.db.exists("File", old.file):
			frappe.delete_doc("File", old.file, ignore_permissions=True, force=True)
		_save_link(mapping, kind, ref, version, old, doctype=doctype, name=name, file=file)
		frappe.db.commit()
	except Exception as exc:
		frappe.db.rollback(save_point="afas_file")
		message = str(exc) if isinstance(exc, AfasError) else f"{type(exc).__name__}: {exc}"
		result["errors"].append({"key": ref, "field": kind, "message": message[:500]})
		frappe.clear_messages()
		return
	result["replaced" if old and old.file else "copied"] += 1


def file_bytes(file: Any) -> bytes:
	"""A File's content as it is stored. Frappe 15's ``get_content()`` gives bytes; Frappe 16's decodes
	it with the first of utf-8 … windows-1252 that fits, and windows-1252 fits any bytes, so a PNG or
	PDF would come back as text and be sent corrupted. No encodings: the bytes themselves."""
	try:
		content = file.get_content(encodings=())
	except TypeError:  # Frappe 15: no encodings argument, always bytes
		content = file.get_content()
	return content.encode("utf-8") if isinstance(content, str) else content


def _attach(doctype: str, name: str, file_name: str, content: bytes, field: str | None) -> Any:
	"""A private File on the document (AFAS's files are never made public here)."""
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"attached_to_field": field or None,
			"is_private": 1,
			"content": content,
		}
	)
	file.flags.afas_inbound = True
	file.insert(ignore_permissions=True)
	return file


def _known(mapping: Any, kind: str) -> dict[str, Any]:
	"""``{AFAS reference: File Link}`` of one kind of file of the mapping, in the current environment."""
	rows = frappe.get_all(
		FILE_LINK,
		filters={"mapping": mapping.name, "environment": environment(), "direction": "Inbound", "kind": kind},
		fields=["name", "afas_reference", "afas_version", "file"],
	)
	return {r.afas_reference: r for r in rows}


def _save_link(
	mapping: Any,
	kind: str,
	ref: str,
	version: str,
	old: Any | None,
	*,
	doctype: str | None = None,
	name: str | None = None,
	file: Any | None = None,
) -> None:
	values = {
		"afas_version": version,
		"reference_doctype": doctype,
		"reference_name": name,
		"file": file.name if file else None,
		"file_name": file.file_name if file else None,
		"note": None if file else _("Not a file of this mapping's records"),
	}
	if old:
		frappe.db.set_value(FILE_LINK, old.name, values, update_modified=False)
		return
	frappe.get_doc(
		{
			"doctype": FILE_LINK,
			"mapping": mapping.name,
			"environment": environment(),
			"direction": "Inbound",
			"kind": kind,
			"afas_reference": ref,
			**values,
		}
	).insert(ignore_permissions=True, ignore_links=True)


def _subject_owners(mapping: Any, client: Any, subjects: set[str]) -> dict[str, Any]:
	"""``{dossier item id: the value of its record column}`` for the given dossier items (one query, its
	OR groups split by the client where the URL would get too long)."""
	if not subjects:
		return {}
	connector = mapping.subject_connector or "Profit_Subjects"
	key = SUBJECT_KEYS.get(connector, "SubjectId")
	filters = FilterSet()
	for subject in sorted(subjects):
		filters.or_where(key, "=", subject)
	return {
		str(row.get(key)): row.get(mapping.subject_record_field)
		for row in client.iter_rows(connector, order_by=key, filters=filters, take=LIST_PAGE)
	}


def _owner_lookup(mapping: Any) -> Callable[[str], str | None]:
	"""How a dossier item's record column finds the document: by this mapping's AFAS key (its Record
	Links), or by the ERPNext field the mapping writes the matched AFAS field into (``BcCo`` →
	``afas_organisation_code``)."""
	match = (mapping.subject_match_field or "").strip()
	if not match or match == mapping.afas_key_field:
		return lambda value: name_of(mapping.name, value)
	field = match_target(mapping, match)
	return lambda value: frappe.db.get_value(mapping.erpnext_doctype, {field: value}, "name")


def match_target(mapping: Any, afas_field: str) -> str | None:
	"""The plain ERPNext field a mapping writes ``afas_field`` into, if any."""
	for row in mapping.field_mappings:
		if (
			row.afas_field == afas_field
			and "." not in (row.erpnext_field or "")
			and row.transform not in ROW_TRANSFORMS
			and row.transform != "constant"
			and row.afas_field != CONSTANT
		):
			return row.erpnext_field
	return None


def _subjects_made_here() -> set[str]:
	"""The dossier items this app created in AFAS (its outbound KnSubject mappings' keys)."""
	mappings = frappe.get_all(
		MAPPING, filters={"direction": "Outbound", "afas_connector": "KnSubject"}, pluck="name"
	)
	if not mappings:
		return set()
	return set(
		frappe.get_all(
			LINK, filters={"mapping": ["in", mappings], "environment": environment()}, pluck="afas_key"
		)
	)


# ------------------------------------------------------------------ outbound


def files_to_send(mapping: Any, doctype: str, name: str) -> list[Any]:
	"""The document's files that go with its next push: not from AFAS, and not sent through this
	mapping yet (or changed since: another content hash)."""
	files = frappe.get_all(
		"File",
		filters={"attached_to_doctype": doctype, "attached_to_name": name, "is_folder": 0},
		fields=["name", "file_name", "file_size", "content_hash", "is_private"],
		order_by="creation asc",
	)
	if not files:
		return []
	links = frappe.get_all(
		FILE_LINK,
		filters={"reference_doctype": doctype, "reference_name": name, "environment": environment()},
		fields=["direction", "mapping", "afas_reference", "afas_version", "file"],
	)
	came_in = {link.file for link in links if link.direction == "Inbound" and link.file}
	sent = {
		link.afas_reference: link.afas_version
		for link in links
		if link.direction == "Outbound" and link.mapping == mapping.name
	}
	return [f for f in files if f.name not in came_in and sent.get(f.name) != (f.content_hash or "")]


def add_files(mapping: Any, record: Record, files: list[Any]) -> Record:
	"""``record`` with one line per file in the mapping's attachment object (``FileName``,
	``FileStream``). Raises :class:`AttachmentsTooLarge` before reading any file when they would take
	AFAS's call over 75 MB."""
	if not files:
		return record
	rest = len(encode_body(build_body(mapping.afas_connector, record, mapping.afas_root_element or None)))
	problem = too_large([(f.file_name, f.file_size) for f in files], rest=rest)
	if problem:
		raise AttachmentsTooLarge(problem)
	lines = []
	for row in files:
		content = file_bytes(frappe.get_doc("File", row.name))
		lines.append(
			Record(
				fields={
					"FileName": safe_file_name(row.file_name, row.name),
					"FileStream": base64.b64encode(content).decode("ascii"),
				}
			)
		)
	target = (mapping.attachment_object or "KnSubjectAttachment").strip()
	existing = record.objects.get(target)
	record.objects[target] = ([existing] if isinstance(existing, Record) else existing or []) + lines
	return record


def remember_sent(mapping: Any, doctype: str, name: str, files: list[Any], afas_key: str | None) -> None:
	"""The files AFAS now has: not sent again by this mapping (unless they change)."""
	for row in files:
		frappe.get_doc(
			{
				"doctype": FILE_LINK,
				"mapping": mapping.name,
				"environment": environment(),
				"direction": "Outbound",
				"kind": "Attachment",
				"afas_reference": row.name,
				"afas_version": row.content_hash or "",
				"reference_doctype": doctype,
				"reference_name": name,
				"file": row.name,
				"file_name": row.file_name,
				"afas_key": afas_key,
			}
		).insert(ignore_permissions=True, ignore_links=True)
