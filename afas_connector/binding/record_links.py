"""AFAS Record Link: which ERPNext document an AFAS record is. Every read and write of the links is
here: the pull writes them in bulk, the push records the key AFAS returns, the ``afas_key``
transform looks them up (a Sales Order's customer becomes the debtor's ``DbId``), and deletes,
renames and merges in ERPNext keep them true.

Two rules make one identity per record:

- **One environment.** A link belongs to the AFAS environment it was made in (``environment()``);
  links of another environment are never read, so a test key is never used against production.
- **One pair, one set of links.** A mapping that names another in *Same AFAS Records As*
  (``link_with``: debtors in, debtors out) reads and writes the links of that mapping: a Customer
  pushed to AFAS is the debtor the pull reads back, whichever direction wrote the link first.

A document deleted in ERPNext may leave its link as a *tombstone* (``deleted_in_erpnext``, by the
inbound mapping's *When Deleted in ERPNext*): the pull reads it to leave the AFAS record alone or to
write it again; every other reader here skips it, as it points at nothing.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe.utils import now_datetime

from afas_connector.binding.connection import environment
from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.sync.inbound_plan import BRING_BACK, UNLINK, deletion_choice


def scope_of(mapping: str) -> str:
	"""The mapping whose links ``mapping`` uses: the one it names in Same AFAS Records As, or itself."""
	return frappe.get_cached_value(MAPPING, mapping, "link_with") or mapping


def link_filters(mapping: str, **more: Any) -> dict[str, Any]:
	"""Filters for the links of ``mapping`` (its pair's) in the current AFAS environment."""
	return {"environment": environment(), "mapping": scope_of(mapping), **more}


def afas_key_of(mapping: str, name: str) -> str | None:
	"""The AFAS key of ERPNext document ``name`` in ``mapping``, if it has one."""
	doctype = frappe.get_cached_value(MAPPING, mapping, "erpnext_doctype")
	return frappe.db.get_value(
		LINK,
		link_filters(
			mapping, reference_doctype=doctype, reference_name=name, merged_away=0, deleted_in_erpnext=0
		),
		"afas_key",
	)


def name_of(mapping: str, key: str) -> str | None:
	"""The ERPNext document that AFAS key ``key`` became in ``mapping``, if any."""
	return frappe.db.get_value(
		LINK, link_filters(mapping, afas_key=key, merged_away=0, deleted_in_erpnext=0), "reference_name"
	)


def find_documents(source: dict[str, str], value: str) -> list[tuple[str, str]]:
	"""For the ``link_rows`` transform: ``(doctype, name)`` of the documents an AFAS value identifies,
	by a field (``{"doctype": "Customer", "field": "afas_organisation_code"}``) or as the record another
	mapping synced from that AFAS key (``{"mapping": …}``)."""
	if source.get("mapping"):
		name = name_of(source["mapping"], value)
		doctype = frappe.get_cached_value(MAPPING, source["mapping"], "erpnext_doctype")
		return [(doctype, name)] if name and frappe.db.exists(doctype, name) else []
	names = frappe.get_all(source["doctype"], filters={source["field"]: value}, pluck="name", limit=20)
	return [(source["doctype"], name) for name in names]


#: What the ``afas_key`` and ``link_rows`` transforms are given to resolve links (``sync/transforms.py``).
LOOKUPS: dict[str, Any] = {"afas_key": afas_key_of, "erpnext_name": name_of, "find_documents": find_documents}


def link_of(mapping: str, doctype: str, name: str) -> Any | None:
	"""The link (``name``, ``afas_key``) of one ERPNext document in ``mapping``, or None."""
	return frappe.db.get_value(
		LINK,
		link_filters(
			mapping, reference_doctype=doctype, reference_name=name, merged_away=0, deleted_in_erpnext=0
		),
		["name", "afas_key"],
		as_dict=True,
	)


def links_by_key(mapping: str, keys: list[str]) -> dict[str, Any]:
	"""``{afas_key: link}`` (name, afas_key, reference_name, content_hash, merged_away,
	deleted_in_erpnext) for the keys that have one, tombstones included."""
	if not keys:
		return {}
	rows = frappe.get_all(
		LINK,
		filters=link_filters(mapping, afas_key=["in", keys]),
		fields=["name", "afas_key", "reference_name", "content_hash", "merged_away", "deleted_in_erpnext"],
	)
	return {r.afas_key: r for r in rows}


def insert_links(mapping: str, doctype: str, rows: list[tuple[str, str, str, str]]) -> None:
	"""Insert new links in one statement: ``rows`` of (AFAS key, document name, content hash, AFAS
	modified date). In the caller's transaction, with the documents they point at."""
	if not rows:
		return
	now = now_datetime()
	user = frappe.session.user
	scope, env = scope_of(mapping), environment()
	columns = [
		"name",
		"mapping",
		"environment",
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
			scope,
			env,
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
	existing = frappe.db.get_value(LINK, link_filters(mapping, afas_key=key), "name")
	if existing:
		update_link(
			existing,
			reference_doctype=doctype,
			reference_name=name,
			missing_in_afas=0,
			merged_away=0,
			deleted_in_erpnext=0,
		)
		return
	frappe.get_doc(
		{
			"doctype": LINK,
			"mapping": scope_of(mapping),
			"environment": environment(),
			"afas_key": key,
			"reference_doctype": doctype,
			"reference_name": name,
			"last_synced": now_datetime(),
		}
	).insert(ignore_permissions=True, ignore_links=True)


def unlink(link: str) -> None:
	"""Forget a link (its AFAS record was deleted)."""
	frappe.db.delete(LINK, {"name": link})


# ------------------------------------------------------------------ ERPNext deletes, renames, merges


def links_of_document(doctype: str, name: str) -> list[Any]:
	"""Every link of one document, in every environment and mapping (tombstones of a deleted document
	of the same name left out)."""
	return frappe.get_all(
		LINK,
		filters={"reference_doctype": doctype, "reference_name": name, "deleted_in_erpnext": 0},
		fields=["name", "mapping", "environment", "afas_key", "merged_away"],
	)


def deletion_choice_of(scope: str) -> str:
	"""*When Deleted in ERPNext* for the links of ``scope``: the choice of the inbound mapping(s) that
	read them (``sync/inbound_plan.deletion_choice``)."""
	rows = frappe.get_all(
		MAPPING,
		filters={"direction": "Inbound"},
		or_filters={"name": scope, "link_with": scope},
		pluck="on_erpnext_delete",
	)
	return deletion_choice(rows)


def forget_document(
	doctype: str, name: str, *, keep_mappings: set[str] | frozenset[str] = frozenset()
) -> int:
	"""The document is deleted in ERPNext: each of its links is dropped, or kept as a tombstone where
	the inbound mapping that reads it says so (*When Deleted in ERPNext*: Keep Deleted, Bring Back), so
	no live link points at nothing. Links of the mappings in ``keep_mappings`` stay for the queued push
	that deletes the record in AFAS (it drops them once sent). Returns how many were dropped or kept
	as tombstones."""
	keep_scopes = {scope_of(m) for m in keep_mappings}
	env = environment() if keep_scopes else None
	links = [
		link
		for link in links_of_document(doctype, name)
		if not (link.mapping in keep_scopes and link.environment == env)
	]
	for link in links:
		forget_link(link.name, link.mapping, doctype, name)
	return len(links)


def forget_link(
	link: str, scope: str | None = None, doctype: str | None = None, name: str | None = None
) -> None:
	"""One link's document is gone from ERPNext while its AFAS record stays: a tombstone or nothing, as
	the scope's *When Deleted in ERPNext* says (see :func:`forget_document`)."""
	if scope is None or doctype is None or name is None:
		row = frappe.db.get_value(
			LINK, link, ["mapping", "reference_doctype", "reference_name"], as_dict=True
		)
		if not row:
			return
		scope, doctype, name = row.mapping, row.reference_doctype, row.reference_name
	choice = deletion_choice_of(scope)
	if choice == UNLINK:
		unlink(link)
		return
	when = now_datetime().strftime("%Y-%m-%d %H:%M")
	if choice == BRING_BACK:
		note = frappe._(
			"{0} {1} was deleted in ERPNext by {2} on {3}: the next run writes its AFAS record again "
			"(When Deleted in ERPNext: Bring Back)"
		).format(frappe._(doctype), name, frappe.session.user, when)
	else:
		note = frappe._(
			"{0} {1} was deleted in ERPNext by {2} on {3}: runs leave its AFAS record alone (When Deleted "
			"in ERPNext: Keep Deleted). To have it back, set the mapping to Bring Back, or delete this link"
		).format(frappe._(doctype), name, frappe.session.user, when)
	update_link(link, deleted_in_erpnext=1, note=note)


def removed_key(mapping: str, doctype: str, name: str) -> str | None:
	"""The AFAS key of the record a push of this document deleted in AFAS (its latest successful
	DELETE), for a document with no link now: it *was* sent, and its record is gone from AFAS."""
	return frappe.db.get_value(
		LOG,
		{
			"mapping": mapping,
			"reference_doctype": doctype,
			"reference_name": name,
			"direction": "Outbound",
			"status": "Success",
			"http_method": "DELETE",
			"environment": environment(),
		},
		"afas_key",
		order_by="creation desc",
	)


def settle_merge(doctype: str, old: str, into: str, merged: list[str]) -> list[Any]:
	"""After ``merged`` links (of ``old``, merged away) were moved onto ``into`` by the rename:
	where ``into`` already has its own link in the same environment and mapping, it keeps that one and
	the moved link is flagged *Merged Away*, so its saves go to one AFAS record only. Returns the
	flagged links (name, afas_key, kept key)."""
	flagged = []
	own = {
		(link.environment, link.mapping): link
		for link in links_of_document(doctype, into)
		if link.name not in merged and not link.merged_away
	}
	for link in links_of_document(doctype, into):
		if link.name not in merged:
			continue
		kept = own.get((link.environment, link.mapping))
		if kept is None:
			continue  # the merged document's link is the only one: it simply follows the merge
		note = frappe._(
			"{0} {1} was merged into {2}, which is AFAS record {3}: AFAS record {4} is no longer synced; "
			"merge or block it in AFAS"
		).format(frappe._(doctype), old, into, kept.afas_key, link.afas_key)
		update_link(link.name, merged_away=1, note=note)
		flagged.append(frappe._dict(name=link.name, afas_key=link.afas_key, kept=kept.afas_key))
	return flagged


def join_pair(mapping: str, into: str) -> dict[str, int]:
	"""``mapping`` now shares the links of ``into`` (Same AFAS Records As was set): its own links move
	over. Where ``into`` already links the same AFAS key, in the same environment, to the same
	document, the duplicate goes; to another document, the moved link is flagged *Merged Away* with a
	note (one of the two ERPNext documents is a duplicate to merge). Returns the counts."""
	counts = {"moved": 0, "duplicate": 0, "conflict": 0}
	for link in frappe.get_all(
		LINK,
		filters={"mapping": mapping},
		fields=["name", "environment", "afas_key", "reference_doctype", "reference_name"],
	):
		other = frappe.db.get_value(
			LINK,
			{"mapping": into, "environment": link.environment, "afas_key": link.afas_key},
			["name", "reference_name"],
			as_dict=True,
		)
		if other and other.reference_name == link.reference_name:
			unlink(link.name)
			counts["duplicate"] += 1
			continue
		if other:
			note = frappe._("AFAS record {0} is also {1} {2} in {3}: merge the two in ERPNext").format(
				link.afas_key, frappe._(link.reference_doctype), other.reference_name, into
			)
			frappe.db.set_value(LINK, link.name, {"merged_away": 1, "note": note}, update_modified=False)
			counts["conflict"] += 1
			continue
		frappe.db.set_value(LINK, link.name, "mapping", into, update_modified=False)
		counts["moved"] += 1
	return counts
