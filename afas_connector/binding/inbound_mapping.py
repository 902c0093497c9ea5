"""The checks of an inbound mapping (AFAS → ERPNext, run by ``binding/pull.py``): its Filters, its
schedule and how deletions in AFAS are found. An Open Items mapping is inbound too and has these
checks after its own (``open_items_mapping``)."""

from __future__ import annotations

import json
from typing import Any

import frappe
from croniter import croniter
from frappe import _

from afas_connector.afas.filters import normalise_filter_spec
from afas_connector.binding.mapping_checks import escape_html
from afas_connector.binding.pull import personal_data_warning
from afas_connector.sync.days import DAY
from afas_connector.sync.open_items import OPEN_ITEMS
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES

#: A schedule of Every N Minutes: at least once a minute, at most once a week.
MAX_INTERVAL_MINUTES = 10080


def validate(doc: Any) -> None:
	check_filters(doc)
	check_schedule(doc)
	if doc.deletion_mode == "Deletion Log Connector" and not doc.deletion_connector:
		frappe.throw(_("Deletion Log Connector is required when Deletions is 'Deletion Log Connector'"))
	check_submitting(doc)
	if doc.mapping_type not in (OPEN_ITEMS, JOURNAL_ENTRIES) and (warning := personal_data_warning(doc)):
		# a warning, never a refusal, and never in the way: a toast, not a dialog to click away on every save
		frappe.msgprint(warning, title=_("Personal data"), indicator="orange", alert=True)


def check_submitting(doc: Any) -> None:
	"""Submit Documents wants a submittable DocType; One Document per Day wants its two AFAS fields and a
	row that reads the day (else every day's document would be the same)."""
	if doc.get("submit_documents") and doc.erpnext_doctype:
		if not frappe.get_meta(doc.erpnext_doctype).is_submittable:
			frappe.throw(
				_("Submit Documents: {0} is not submittable; switch it off").format(_(doc.erpnext_doctype)),
				title=_("Submit Documents"),
			)
		if doc.enabled and (other := both_kinds_of_leave(doc)):
			# HRMS marks Attendance for a submitted Leave Application and cancels it with the application:
			# an Attendance-per-day mapping over the same leave would have its days changed under it
			frappe.msgprint(
				_(
					"{0} books HRMS's {1} and {2} books {3} for the same employees: a Leave Application "
					"makes (and on cancel removes) its own Attendance, so choose one of the two per kind of leave"
				).format(doc.name, _(doc.erpnext_doctype), other.name, _(other.erpnext_doctype)),
				title=_("Leave twice"),
				indicator="orange",
				alert=True,
			)
	span = [(doc.get(f) or "").strip() for f in ("day_from_field", "day_to_field")]
	if any(span) and not all(span):
		frappe.throw(
			_("Day From and Day To go together: fill in both, or neither"), title=_("Day From / Day To")
		)
	if not doc.get("one_per_day"):
		return
	if not all(span):
		frappe.throw(
			_("One Document per Day needs Day From and Day To: the AFAS fields of the range"),
			title=_("One Document per Day"),
		)
	if not any(row.afas_field == DAY for row in doc.field_mappings or []):
		frappe.throw(
			_(
				"One Document per Day needs a row with AFAS Field {0}: the ERPNext date field each day goes to"
			).format(DAY),
			title=_("One Document per Day"),
		)


#: HRMS's two ways of booking leave, which Leave Application's own Attendance makes overlap.
LEAVE_DOCTYPES = ("Leave Application", "Attendance")


def both_kinds_of_leave(doc: Any) -> Any | None:
	"""Another enabled inbound mapping that books the other of :data:`LEAVE_DOCTYPES` (from any AFAS
	connector: a Leave Application changes and cancels every Attendance of its days), or None."""
	if doc.erpnext_doctype not in LEAVE_DOCTYPES:
		return None
	other = next(d for d in LEAVE_DOCTYPES if d != doc.erpnext_doctype)
	found = frappe.get_all(
		"AFAS Connector Mapping",
		filters={
			"enabled": 1,
			"direction": "Inbound",
			"erpnext_doctype": other,
			"name": ["!=", doc.name or ""],
		},
		fields=["name", "erpnext_doctype"],
		limit=1,
	)
	return found[0] if found else None


def check_filters(doc: Any) -> None:
	"""Filters are JSON ``[["Blocked", "=", 0]]``, stored as they go to AFAS so the form shows them:
	date values in Amsterdam wall-clock time without Z or offset (AFAS refuses those)."""
	if not (doc.filters and doc.filters.strip()):
		return
	try:
		doc.filter_set()
		doc.filters = json.dumps(normalise_filter_spec(json.loads(doc.filters)), ensure_ascii=False)
	except (ValueError, TypeError) as exc:
		frappe.throw(
			_('Filters must be JSON like [["Blocked", "=", 0]]: {0}').format(escape_html(str(exc))),
			title=_("Invalid filters"),
		)


def check_schedule(doc: Any) -> None:
	if doc.schedule == "Every N Minutes" and not (
		1 <= int(doc.interval_minutes or 0) <= MAX_INTERVAL_MINUTES
	):
		frappe.throw(_("Interval (minutes) must be between 1 and 10080"))
	if doc.schedule == "Cron" and not (doc.cron_expression and croniter.is_valid(doc.cron_expression)):
		frappe.throw(
			_("Cron Expression {0} is not valid, e.g. */15 * * * *").format(doc.cron_expression or "")
		)
