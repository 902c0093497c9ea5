"""``doc_events`` handlers for every DocType: queue outbound changes, and keep Record Links true when
a linked document is deleted, renamed or merged.

They run on every save in the site, so for a DocType without a mapping they cost one cached lookup
and return; the cache is cleared when a mapping or the settings change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import frappe

from afas_connector.binding.access import is_manager
from afas_connector.binding.connection import is_enabled
from afas_connector.binding.constants import MAPPING, OWN_DOCTYPES
from afas_connector.binding.outbox import queue_change_safely
from afas_connector.binding.record_links import forget_document, links_of_document, settle_merge
from afas_connector.binding.sync_log import error_fields, insert_outbox_row, log_error

CACHE_KEY = "afas_outbound_doctypes"


def _routes() -> dict[str, Any]:
	"""``{"outbound": {doctype: [enabled outbound mapping names]}, "mapped": {doctypes of any mapping}}``.

	Kept in Redis across processes, and on ``frappe.local`` for the rest of the request or job — the
	same lifetime ``frappe.cache`` gives its local copy, without rebuilding the key on every save.
	"""
	local = frappe.local
	try:
		return local.afas_routes
	except AttributeError:
		routes = frappe.cache.get_value(CACHE_KEY, generator=_load_routes) or {}
		local.afas_routes = {
			"outbound": routes.get("outbound") or {},
			"mapped": frozenset(routes.get("mapped") or ()),
		}
		return local.afas_routes


def outbound_doctypes() -> dict[str, list[str]]:
	"""``{doctype: [mapping names]}`` of enabled outbound mappings (empty when the connector is off)."""
	return _routes()["outbound"]


def clear_outbound_cache() -> None:
	"""Forget which DocTypes push (after a mapping or the settings change)."""
	frappe.cache.delete_value(CACHE_KEY)
	try:
		del frappe.local.afas_routes
	except AttributeError:
		pass


def boot_session(bootinfo: Any) -> None:
	"""Tell the desk which DocTypes get a "Push to AFAS" button: AFAS Managers only."""
	if is_manager():
		bootinfo.afas_outbound_doctypes = sorted(outbound_doctypes())


def _load_routes() -> dict[str, Any]:
	rows = frappe.get_all(
		MAPPING, fields=["name", "erpnext_doctype", "direction", "enabled"], order_by="name asc"
	)
	outbound: dict[str, list[str]] = {}
	if is_enabled():
		for row in rows:
			if row.enabled and row.direction == "Outbound":
				outbound.setdefault(row.erpnext_doctype, []).append(row.name)
	# Links exist for every mapping, enabled or not: deletes and merges must keep them true anyway.
	return {"outbound": outbound, "mapped": sorted({row.erpnext_doctype for row in rows})}


def _skip(doc: Any) -> bool:
	"""Whether the app has nothing to do with this save. The flags and the app's own DocTypes are
	looked at before the mappings are read: while the app is installed or migrated its tables may not
	exist yet, and reading them would fail every save (an Error Log of that failure is a save too)."""
	flags = frappe.flags
	if flags.in_install or flags.in_migrate or flags.in_patch or doc.doctype in OWN_DOCTYPES:
		return True
	if doc.doctype == "Error Log":
		return True  # written while failing: reading the mappings for it again would loop
	return doc.doctype not in _routes()["mapped"]


#: The savepoint of the app's own bookkeeping inside a user's save.
GUARD_SAVEPOINT = "afas_doc_event"


def _never_blocks(step: str, doc: Any, action: Callable[[], Any], savepoint: str = GUARD_SAVEPOINT) -> Any:
	"""Run the app's part of a user's save, delete or rename: its failure is the app's problem, never
	the user's. It is undone alone, kept as a Failed Sync Log of the document (the monitoring's alert
	follows from it) and in the Error Log, redacted; the user's work goes on."""
	try:
		if _skip(doc):  # most saves of a site: no savepoint, nothing else
			return None
	except Exception as exc:
		if frappe.db.is_table_missing(exc):  # the app is not (yet) installed on this site: nothing to do
			return None
		_record_failure(step, doc, exc)
		return None
	frappe.db.savepoint(savepoint)
	try:
		return action()
	except Exception as exc:
		frappe.db.rollback(save_point=savepoint)
		_record_failure(step, doc, exc)
		return None


def _record_failure(step: str, doc: Any, exc: Exception) -> None:
	fields = error_fields(exc)
	try:
		insert_outbox_row(
			mapping=None,
			direction=None,
			trigger="Document Event",
			status="Failed",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			event=step,
			error=frappe._("AFAS bookkeeping of this document failed ({0}): {1}").format(
				step, fields["error"]
			)[:1000],
			error_detail=fields["error_detail"],
		)
	except Exception:  # the database refuses even that: the Error Log below says it
		pass
	log_error(f"AFAS: {step} of {doc.doctype} {doc.name} failed", exc)


def on_document_event(doc: Any, method: str | None = None) -> None:
	"""Route on_update (an insert when ``doc.flags.in_insert``), on_submit, on_cancel, on_trash and
	on_update_after_submit to the outbox; on_trash also drops the links of the deleted document.
	Never raises: each mapping's queueing and the link bookkeeping fail alone (``queue_change_safely``,
	:func:`_never_blocks`)."""
	_never_blocks(method or "event", doc, lambda: _route(doc, method))


def _route(doc: Any, method: str | None) -> None:
	if _skip(doc):
		return
	event = method or ""
	queued: set[str] = set()
	if not (frappe.flags.afas_inbound or doc.flags.afas_inbound):  # from AFAS: pushing back would loop
		if event == "on_update" and doc.flags.in_insert:
			event = "after_insert"
		for mapping in outbound_doctypes().get(doc.doctype, ()):
			if queue_change_safely(doc, event, mapping):
				queued.add(mapping)
	if event == "on_trash":
		# A queued delete needs the link to reach the AFAS record; the push drops it once sent.
		_never_blocks(
			"on_trash",
			doc,
			lambda: forget_document(doc.doctype, doc.name, keep_mappings=queued),
			savepoint="afas_doc_links",
		)


def before_rename(doc: Any, method: str, old: str, new: str, merge: bool = False) -> None:
	"""Remember which links the document had before a merge moves them onto the other one."""
	_never_blocks("before_rename", doc, lambda: _before_rename(doc, old, merge))


def _before_rename(doc: Any, old: str, merge: bool) -> None:
	if merge and not _skip(doc):
		frappe.local.afas_merged_links = [link.name for link in links_of_document(doc.doctype, old)]


def after_rename(doc: Any, method: str, old: str, new: str, merge: bool = False) -> None:
	"""Frappe has moved the links (they are Dynamic Links) to the new name. A merge keeps exactly one
	link per document: the target's own; the merged one is flagged *Merged Away* and the user is told.
	A rename may change what the mapping sends (the name, a title field): the document is pushed."""
	_never_blocks("after_rename", doc, lambda: _after_rename(doc, old, new, merge))


def _after_rename(doc: Any, old: str, new: str, merge: bool) -> None:
	if _skip(doc):
		return
	if merge:
		merged = getattr(frappe.local, "afas_merged_links", None) or []
		frappe.local.afas_merged_links = None
		for link in settle_merge(doc.doctype, old, new, merged):
			frappe.msgprint(
				frappe._(
					"{0} keeps AFAS record {1}; AFAS record {2} of {3} is no longer synced (see AFAS Record "
					"Link): merge or block it in AFAS."
				).format(new, link.kept, link.afas_key, old),
				title=frappe._("AFAS"),
				indicator="orange",
			)
		return
	_route(doc, "on_update")


def on_file_attached(doc: Any, method: str | None = None) -> None:
	"""A file attached to a document whose outbound mapping sends attachments: push the document, so
	the file follows. A draft of a document pushed on submit waits for its submit."""
	if doc.is_folder or frappe.flags.afas_inbound or doc.flags.afas_inbound or frappe.flags.in_install:
		return
	doctype, name = doc.attached_to_doctype, doc.attached_to_name
	if not doctype or not name or doctype in OWN_DOCTYPES:
		return
	mappings = [
		m
		for m in outbound_doctypes().get(doctype, ())
		if frappe.get_cached_value(MAPPING, m, "send_attachments")
	]
	if not mappings or not frappe.db.exists(doctype, name):
		return
	target = frappe.get_doc(doctype, name)
	if target.docstatus == 2:
		return
	for mapping in mappings:
		if target.docstatus == 0 and frappe.get_cached_value(MAPPING, mapping, "push_on_submit"):
			continue  # goes with the submit
		queue_change_safely(target, "on_update", mapping, trigger="Attachment")
