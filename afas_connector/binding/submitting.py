"""Inbound documents that are submitted (a mapping's *Submit Documents*: HRMS's Leave Application and
Attendance from AFAS's leave and absence): written as ERPNext's desk would book them.

- a new document is inserted and submitted;
- a changed AFAS record cancels its submitted document and books an amendment (``amended_from``, named
  ``X-1`` by Frappe), as the desk's Cancel → Amend does: a submitted document is never edited in place,
  and the Record Link moves to the amendment. Where the author may not amend (HRMS gives no role Amend
  on Attendance) the replacement is a new document, as such a user makes one in the desk;
- a document a user amended in ERPNext is followed to its newest amendment, which is the one changed;
- a document a user cancelled in ERPNext stays cancelled until AFAS changes the record, which is then
  booked as an amendment of it;
- a record gone from AFAS (the mapping's *Deletions*) has its document cancelled, never deleted.

Each step is one the mapping's author (*Runs As*) may take in the desk (submit, cancel, amend, create:
checked per document, User Permissions included; ``binding/write_rules.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import frappe
from frappe import _

from afas_connector.binding import write_rules


def submits(mapping: Any) -> bool:
	"""Whether ``mapping`` submits what it writes."""
	return bool(mapping.get("submit_documents"))


def check(doc: Any, author: str, ptype: str) -> None:
	"""Raise ``frappe.PermissionError`` when ``author`` may not ``ptype`` this document."""
	if not write_rules.may(doc, author, ptype):
		raise frappe.PermissionError(
			_("{0} (Runs As of this mapping) may not {1} {2} {3}").format(
				author, _(ptype), _(doc.doctype), doc.name or ""
			)
		)


def submit(doc: Any, author: str) -> None:
	"""Submit a document the run just inserted or saved (a draft)."""
	check(doc, author, "submit")
	doc.flags.afas_inbound = True
	doc.flags.ignore_permissions = True  # the author's permission, checked just above
	doc.submit()


def cancel(doc: Any, author: str) -> None:
	"""Cancel a submitted document (its AFAS record changed or is gone)."""
	check(doc, author, "cancel")
	doc.flags.afas_inbound = True
	doc.flags.ignore_permissions = True  # the author's permission, checked just above
	doc.cancel()


def amend(old: Any, author: str, apply: Callable[[Any], None]) -> Any:
	"""The amendment of submitted or cancelled ``old`` with the AFAS record's new values (``apply`` sets
	them on the copy), inserted and submitted; ``old`` is cancelled first when it is still submitted.

	Returns the new document. Raises what ERPNext raises (a closed period, a validation) or
	``frappe.PermissionError``; the caller's savepoint undoes the cancel with it."""
	amends = write_rules.may(old, author, "amend")  # else a new document, as the author makes one
	new = frappe.copy_doc(old, ignore_no_copy=False)  # as the desk's Amend: no-copy fields left out
	if old.docstatus == 1:
		cancel(old, author)
	new.docstatus = 0
	new.amended_from = old.name if amends else None
	apply(new)
	check(new, author, "create")
	new.flags.afas_inbound = True
	new.flags.ignore_permissions = True  # the author's permission, checked just above
	new.insert()
	submit(new, author)
	return new


def newest_amendment(doctype: str, name: str) -> str:
	"""The newest document amended from ``name`` (through every amendment of amendments), or ``name``:
	a user who amended the document in ERPNext made it the one the AFAS record is now."""
	seen = {name}
	while True:
		later = frappe.db.get_value(doctype, {"amended_from": name}, "name", order_by="creation desc")
		if not later or later in seen:
			return name
		seen.add(later)
		name = later


def cancel_gone(doctype: str, names: list[str], author: str) -> tuple[int, list[str]]:
	"""Cancel the submitted documents among ``names`` (their AFAS records are gone). Returns ``(how
	many were cancelled, messages of those that could not be)``; each one is its own savepoint."""
	cancelled, errors = 0, []
	for name in frappe.get_all(doctype, filters={"name": ["in", names], "docstatus": 1}, pluck="name"):
		frappe.db.savepoint("afas_cancel")
		try:
			cancel(frappe.get_doc(doctype, name), author)
			cancelled += 1
		except Exception as exc:
			frappe.db.rollback(save_point="afas_cancel")
			frappe.clear_messages()
			errors.append(f"{name}: {exc}")
	return cancelled, errors
