"""AFAS Record Link: which ERPNext document an AFAS record is, per mapping. Every read and write of
the links is here: the pull writes them in bulk, the push records the key AFAS returns, and the
``afas_key`` transform looks them up (a Sales Order's customer becomes the debtor's ``DbId``,
whichever way that customer reached AFAS)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe.utils import now_datetime

from afas_connector.binding.constants import LINK, MAPPING


def afas_key_of(mapping: str, name: str) -> str | None:
	"""The AFAS key of ERPNext document ``name`` in ``mapping``, if it has one."""
	doctype = frappe.get_cached_value(MAPPING, mapping, "erpnext_doctype")
	return frappe.db.get_value(
		LINK, {"mapping": mapping, "reference_doctype": doctype, "reference_name": name}, "afas_key"
	)


def name_of(mapping: str, key: str) -> str | None:
	"""The ERPNext document that AFAS key ``key`` became in ``mapping``, if any."""
	return frappe.db.get_value(LINK, {"mapping": mapping, "afas_key": key}, "reference_name")


#: What the ``afas_key`` transform is given to resolve links (see ``sync/transforms.py``).
LOOKUPS: dict[str, Any] = {"afas_key": afas_key_of, "erpnext_name": name_of}


def link_of(mapping: str, doctype: str, name: str) -> Any | None:
	"""The link (``name``, ``afas_key``) of one ERPNext document in ``mapping``, or None."""
	return frappe.db.get_value(
		LINK,
		{"mapping": mapping, "reference_doctype": doctype, "reference_name": name},
		["name", "afas_key"],
		as_dict=True,
	)


def links_by_key(mapping: str, keys: list[str]) -> dict[str, Any]:
	"""``{afas_key: link}`` (name, afas_key, reference_name, content_hash) for the keys that have one."""
	if not keys:
		return {}
	rows = frappe.get_all(
		LINK,
		filters={"mapping": mapping, "afas_key": ["in", keys]},
		fields=["name", "afas_key", "reference_name", "content_hash"],
	)
	return {r.afas_key: r for r in rows}


def insert_links(mapping: str, doctype: str, rows: list[tuple[str, str, str, str]]) -> None:
	"""Insert new links in one statement: ``rows`` of (AFAS key, document name, content hash, AFAS
	modified date). In the caller's transaction, with the documents they point at."""
	if not rows:
		return
	now = now_datetime()
	user = frappe.session.user
	columns = [
		"name",
		"mapping",
		"afas_key",
		"reference_doctype",
		"reference_name",
		"content_hash",
		"afas_modified",
		"last_synced",
		"creation",
		"modified",
		"owner",
		"modified_by",
	]
	values = [
		(
			frappe.generate_hash(length=12),
			mapping,
			key,
			doctype,
			name,
			digest,
			modified,
			now,
			now,
			now,
			user,
			user,
		)
		for key, name, digest, modified in rows
	]
	frappe.db.bulk_insert(LINK, columns, values)


def update_link(link: str, **values: Any) -> None:
	"""Change one link (its document, hash, flags); ``last_synced`` becomes now."""
	frappe.db.set_value(LINK, link, {**values, "last_synced": now_datetime()}, update_modified=False)


def link_document(mapping: str, key: str, doctype: str, name: str) -> None:
	"""Record that AFAS key ``key`` is this document. AFAS's answer is authoritative: a stale link with
	the same key (its document deleted, or an AFAS environment restored) is pointed here."""
	existing = frappe.db.get_value(LINK, {"mapping": mapping, "afas_key": key}, "name")
	if existing:
		update_link(existing, reference_doctype=doctype, reference_name=name, missing_in_afas=0)
		return
	frappe.get_doc(
		{
			"doctype": LINK,
			"mapping": mapping,
			"afas_key": key,
			"reference_doctype": doctype,
			"reference_name": name,
			"last_synced": now_datetime(),
		}
	).insert(ignore_permissions=True, ignore_links=True)


def unlink(link: str) -> None:
	"""Forget a link (its AFAS record was deleted)."""
	frappe.db.delete(LINK, {"name": link})
