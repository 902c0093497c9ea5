"""What a mapping may write in ERPNext, and with whose permissions: the trust model of a mapping.

A mapping is configuration an AFAS Manager writes, and its runs work in the background as the system.
So two rules hold, checked when the mapping is saved (and so when it is imported or made from a
template), and again when it runs:

1. **Never these DocTypes or fields**, whoever the author: DocTypes that grant access, change the
   schema or run code (users, roles, permissions, DocTypes, custom fields, scripts, webhooks,
   notifications, reports, print formats, web pages, settings), every Single and child DocType, the
   app's own DocTypes; and fields that hold a password or point at a user or role.
2. **Only what its author may do in the desk.** The author is the user who last saved the mapping
   (*Runs As* on the form). An inbound mapping writes a document only if that user may create it (a
   new one) or write it (an existing one, User Permissions included), and only fields at permission
   levels that user may write; an outbound, ledger or open-items mapping reads only documents that
   user may read. When the author loses a role, the mapping's next run stops with a message that says
   which rule and whom.

Nothing here is an ``ignore_permissions``: the run's own writes still skip Frappe's check of the
*session* user (a background job runs as Administrator) because this module has checked the author.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import frappe
from frappe import _

from afas_connector.binding.constants import MAPPING, REFERENCE_CODE

#: DocTypes no mapping writes: they grant access, change the schema, run code or send data away.
NEVER_WRITTEN = frozenset(
	{
		"User",
		"Role",
		"Has Role",
		"Role Profile",
		"Module Profile",
		"User Permission",
		"User Group",
		"User Type",
		"DocShare",
		"DocType",
		"DocField",
		"DocPerm",
		"Custom DocPerm",
		"Custom Field",
		"Property Setter",
		"Customize Form",
		"Server Script",
		"Client Script",
		"System Console",
		"Scheduled Job Type",
		"Webhook",
		"Notification",
		"Auto Email Report",
		"Email Account",
		"Email Digest",
		"Report",
		"Page",
		"Print Format",
		"Web Page",
		"Web Form",
		"Web Template",
		"Website Script",
		"Data Import",
		"Data Export",
		"File",
		"OAuth Client",
		"Connected App",
		"Social Login Key",
		"Token Cache",
		"Workflow",
		"Workspace",
		"Dashboard Chart Source",
		"Accounting Dimension",
		"Installed Application",
	}
)
#: Frappe's system modules and the app's own: nothing in them is business data a mapping should write.
#: Plain data DocTypes among them (a to-do, a note, an event, AFAS's reference codes) are the exceptions.
SYSTEM_MODULES = frozenset(
	{
		"Core",
		"Custom",
		"Desk",
		"Email",
		"Integrations",
		"Printing",
		"Automation",
		"Website",
		"Workflow",
		"Social",
		"AFAS Connector",
	}
)
DATA_DOCTYPES = frozenset({"ToDo", "Note", "Event", REFERENCE_CODE})
#: A field that links to one of these grants access (a user's Employee, a to-do's assignee, a role).
GRANTING_LINKS = frozenset({"User", "Role", "Role Profile", "Module Profile", "User Group", "User Type"})


class MappingNotAllowed(frappe.PermissionError):
	"""A mapping that breaks the trust model: its message names the rule."""


def author_of(mapping: Any) -> str:
	"""The user whose permissions the mapping's runs use: *Runs As* (who last saved it)."""
	return mapping.get("run_as") or mapping.get("modified_by") or mapping.get("owner") or "Administrator"


def doctype_refusal(doctype: str) -> str | None:
	"""Why no mapping may write ``doctype``, or None."""
	if not doctype or not frappe.db.exists("DocType", doctype):
		return None  # the controller says it does not exist
	meta = frappe.get_meta(doctype)
	if doctype in NEVER_WRITTEN or (meta.module in SYSTEM_MODULES and doctype not in DATA_DOCTYPES):
		return _(
			"{0} grants access, changes the site or runs code: no mapping may write it (see docs/security.md)"
		).format(_(doctype))
	if meta.issingle:
		return _("{0} is a settings page (Single): no mapping may write it").format(_(doctype))
	if meta.istable:
		return _("{0} is a child table: map its parent instead").format(_(doctype))
	if meta.get("is_virtual"):
		return _("{0} is virtual: it has no table to write").format(_(doctype))
	return None


def field_refusal(meta: Any, fieldname: str) -> str | None:
	"""Why no mapping may write ``fieldname`` of ``meta``'s DocType, or None (unknown fields are the
	controller's to refuse)."""
	field = meta.get_field(fieldname)
	if not field:
		return None
	if field.fieldtype == "Password":
		return _("{0} of {1} is a password: no mapping may write it").format(fieldname, _(meta.name))
	if field.fieldtype == "Link" and field.options in GRANTING_LINKS:
		return _("{0} of {1} links to a {2}, which grants access: no mapping may write it").format(
			fieldname, _(meta.name), _(field.options)
		)
	return None


def written_fields(mapping: Any) -> list[tuple[str, str]]:
	"""``[(doctype, fieldname)]`` an inbound mapping writes: its rows' ERPNext fields, child-table
	fields (``items.qty``, ``child_row``/``link_rows`` tables) on the child DocType, the image field."""
	meta = frappe.get_meta(mapping.erpnext_doctype)
	found: list[tuple[str, str]] = []
	for row in mapping.get("field_mappings") or []:
		fieldname = (row.erpnext_field or "").strip()
		if not fieldname:
			continue
		table, _dot, child_field = fieldname.partition(".")
		table_field = meta.get_field(table)
		if table_field and table_field.fieldtype in ("Table", "Table MultiSelect"):
			found.append((mapping.erpnext_doctype, table))
			if child_field:
				found.append((table_field.options, child_field))
			continue
		found.append((mapping.erpnext_doctype, fieldname))
	image = (mapping.get("image_field") or "").strip()
	if image:  # the picture copied from AFAS goes into this field
		found.append((mapping.erpnext_doctype, image))
	return found


def refusal(mapping: Any) -> str | None:
	"""Why ``mapping`` breaks the trust model (the first rule it breaks, in words), or None."""
	doctype = mapping.erpnext_doctype
	user = author_of(mapping)
	inbound = mapping.direction == "Inbound" and mapping.get("mapping_type") != "Open Items"
	if inbound:
		reason = doctype_refusal(doctype)
		if reason:
			return reason
		for table_doctype, fieldname in written_fields(mapping):
			reason = field_refusal(frappe.get_meta(table_doctype), fieldname)
			if reason:
				return reason
	if not frappe.db.exists("User", user) or not frappe.db.get_value("User", user, "enabled"):
		return _(
			"{0}, who last saved this mapping, is not an active user: an active AFAS Manager must save it again"
		).format(user)
	needed = ("create", "write") if inbound else ("read",)
	if inbound and mapping.get("submit_documents"):  # inserted documents are submitted, changed ones replaced
		needed += ("submit", "cancel")
	for ptype in needed:
		if not frappe.has_permission(doctype, ptype, user=user):
			return _(
				"{0} (Runs As: who last saved this mapping) may not {1} {2} in the desk, so the mapping may not "
				"either: give that user a role that may, or have such a user save the mapping"
			).format(user, _(ptype), _(doctype))
	if inbound:
		for table_doctype, fieldname in written_fields(mapping):
			reason = _permlevel_refusal(doctype, table_doctype, fieldname, user)
			if reason:
				return reason
	return None


def _permlevel_refusal(parent: str, doctype: str, fieldname: str, user: str) -> str | None:
	meta = frappe.get_meta(doctype)
	field = meta.get_field(fieldname)
	if not field or not field.permlevel:
		return None
	parenttype = parent if doctype != parent else None
	if field.permlevel not in meta.get_permlevel_access("write", parenttype=parenttype, user=user):
		return _("{0} may not write {1} of {2} (permission level {3}), so the mapping may not either").format(
			user, fieldname, _(doctype), field.permlevel
		)
	return None


#: A push asks :func:`refusal` of its mapping at most this often per process (it reads roles).
CACHE_SECONDS = 60
_cache: dict[tuple[str, str, str], tuple[float, str | None]] = {}


def cached_refusal(mapping: Any) -> str | None:
	""":func:`refusal`, remembered per process for ``CACHE_SECONDS`` (and until the mapping changes): a
	push checks its mapping for every document it sends, and an author's lost role counts within a minute."""
	key = (frappe.local.site, mapping.name, str(mapping.modified))
	hit = _cache.get(key)
	now = time.monotonic()
	if hit and now - hit[0] < CACHE_SECONDS:
		return hit[1]
	if len(_cache) > 256:
		_cache.clear()
	reason = refusal(mapping)
	_cache[key] = (now, reason)
	return reason


def check(mapping: Any) -> None:
	"""Raise :class:`MappingNotAllowed` (HTTP 403) naming the rule ``mapping`` breaks."""
	reason = refusal(mapping)
	if reason:
		frappe.throw(reason, MappingNotAllowed, title=_("Not allowed for a mapping"))


def check_saved(name: str) -> Any:
	"""The saved mapping ``name``, checked (for runs and previews); raises :class:`MappingNotAllowed`."""
	mapping = frappe.get_doc(MAPPING, name) if isinstance(name, str) else name
	check(mapping)
	return mapping


def may_write(doc: Any, user: str, *, new: bool) -> bool:
	"""Whether ``user`` may create (``new``) or write this very document, User Permissions included."""
	if user == "Administrator":
		return True
	return bool(frappe.has_permission(doc.doctype, "create" if new else "write", doc=doc, user=user))


@contextmanager
def acting_as(user: str) -> Iterator[None]:
	"""Run the block as ``user`` (a mapping's author): the checks ERPNext and HRMS make on the session's
	user inside a write (HRMS's backdated leave and self-approval, ERPNext's frozen accounts, a
	controller's permission-filtered reads) see the author, as in the desk. The session's user is back
	afterwards, also after an error."""
	before = frappe.session.user
	if not user or user == before:
		yield
		return
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(before)


def may(doc: Any, user: str, ptype: str) -> bool:
	"""Whether ``user`` may ``ptype`` (submit, cancel, amend) this very document, User Permissions included."""
	if user == "Administrator":
		return True
	return bool(frappe.has_permission(doc.doctype, ptype, doc=doc, user=user))


def may_read(doctype: str, name: str, user: str) -> bool:
	"""Whether ``user`` may read this document (an outbound mapping sends only what its author reads)."""
	if user == "Administrator":
		return True
	return bool(frappe.has_permission(doctype, "read", doc=name, user=user))
