"""Hours to AFAS (issue 28 §2): a submitted Timesheet's time logs → AFAS actual-costing lines
(``PtRealization``), one line per time log, exactly once. The lines are planned by the pure
``sync/hours.py``; this module reads the Timesheet and what AFAS knows, sends, and keeps the links.

``binding/push.py`` hands an outbox row of an outbound ``PtRealization`` mapping here
(:func:`push_timesheet`). What is sent depends on the Timesheet as it is, not on the event:

* **submitted**: each time log without a Record Link is sent as a line. Each log has a link of its own
  (``Timesheet Detail`` → AFAS's line number ``Id``; the note keeps the external key ``XpRe``), written
  and committed as soon as AFAS answers, so a push that fails halfway sends only the rest next time;
* **cancelled**: each linked log without a credit gets a credit line (negative quantity, external key
  ``<XpRe>-C``); its number goes to the link's ``reversal_key``. Nothing is deleted (AFAS documents no
  DELETE of a line). An amended Timesheet is a new document: its logs are new rows, so new lines;
* **before any line is sent** AFAS's lines are read by their external keys (the App Connector's
  ``ERP_Realization``, ``ExternalKey``; ``sync/hours.find_line``): a line whose answer was lost is linked,
  not sent again. So a lost answer is simply retried (Retrying), the look-up making it safe; several
  lines under one key are Outcome Unknown, for the user to look at;
* an employee, project, work type or hour type AFAS does not know is a Failed row error before anything
  is sent, naming the value and the GetConnector that would know it; nothing of the Timesheet is sent.

Employees and projects are AFAS's through the Record Links of the mappings the mapping's ``EmId`` and
``PrId`` rows name (``afas_key`` transform), or an ERPNext name that is itself an AFAS code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import frappe
from frappe import _
from frappe.utils import escape_html, getdate, now_datetime

from afas_connector.afas import AfasError, AfasOutcomeUnknownError, Record
from afas_connector.afas.filters import FilterSet
from afas_connector.binding import write_rules
from afas_connector.binding.connection import get_client, is_enabled
from afas_connector.binding.record_links import afas_key_of, link_document, link_of, update_link
from afas_connector.binding.sync_log import exchange_excerpts, finish_log, set_log
from afas_connector.sync.hours import (
	CONNECTOR,
	EMPLOYEES_CONNECTOR,
	HOUR_TYPES_CONNECTOR,
	PROJECTS_CONNECTOR,
	WORK_TYPES_CONNECTOR,
	HoursReference,
	TimeLog,
	credit_line,
	find_line,
	log_identity,
	plan_lines,
)

#: The child DocType a time log is: each has a Record Link of its own.
DETAIL = "Timesheet Detail"
#: The App Connector's GetConnector on actual costing with the external key (``sync/hours.py``).
LINES_CONNECTOR = "ERP_Realization"
#: Conditions per look-up request (an OR group each), to keep the query short.
CHUNK = 20


def is_hours(mapping: Any) -> bool:
	"""Whether ``mapping`` sends Timesheets' time logs as AFAS hours lines."""
	return mapping.get("direction") == "Outbound" and mapping.get("afas_connector") == CONNECTOR


class LineAnswerLost(AfasError):
	"""AFAS's answer to a line was lost: sent again in a later round, after the look-up by external key."""

	retryable = True


class LinesUndecided(AfasOutcomeUnknownError):
	"""AFAS holds several lines under one external key: nothing more is sent, the user looks."""


def push_timesheet(mapping: Any, log: Any, session: Any, record_failure: Callable[..., str]) -> str:
	"""Send the lines (or credits) a Timesheet still needs; returns the outbox row's new status.
	``session``: a ``push.PushSession``; ``record_failure``: push's way of recording a failed call."""
	started = now_datetime()
	doctype, name = log.reference_doctype, log.reference_name
	refused = _refusal(mapping, doctype, name)
	doc = frappe.get_doc(doctype, name) if not refused and frappe.db.exists(doctype, name) else None
	if refused or doc is None or doc.docstatus == 0:
		set_log(log, {"started_at": started})
		status = "Failed" if refused else "Success"
		finish_log(
			log, status, error=(refused or _("Not submitted, so nothing to send"))[:1000], next_attempt=None
		)
		return status
	cancelled = doc.docstatus == 2
	logs = time_logs(doc)
	links = {t.row: link_of(mapping.name, DETAIL, t.row) for t in logs}
	if cancelled:  # the linked logs not yet credited
		wanted = [t for t in logs if links[t.row] and not _credited(links[t.row])]
	else:  # the logs not yet in AFAS
		wanted = [t for t in logs if not links[t.row]]
	if not wanted:
		set_log(log, {"started_at": started})
		message = _("Nothing to credit in AFAS") if cancelled else _("Every time log is already in AFAS")
		finish_log(log, "Success", error=message, next_attempt=None)
		return "Success"
	session.exchanges.clear()
	try:
		ref = reference(mapping, session.client, wanted)
	except AfasError as exc:
		frappe.db.rollback()
		return record_failure(log, exc, list(session.exchanges))
	planned, errors = plan_lines(wanted, ref)
	if errors:
		set_log(log, {"started_at": started})
		finish_log(
			log,
			"Failed",
			error=_("Not sent, time logs do not map: {0}").format(
				"; ".join(f"{e.key}: {e.message}" for e in errors)
			)[:1000],
			record_errors=json.dumps([e.to_dict() for e in errors], ensure_ascii=False),
			next_attempt=None,
		)
		return "Failed"
	rows = {log_identity(t): t.row for t in wanted}
	todo = [
		credit_line(identity, record) if cancelled else (identity, record) for identity, record in planned
	]
	row_of = {identity: rows[identity.removesuffix("-C") if cancelled else identity] for identity, _r in todo}
	set_log(
		log,
		{
			"status": "Running",
			"started_at": started,
			"finished_at": None,
			"http_method": "POST",
			"payload": json.dumps([r.fields for _i, r in todo], ensure_ascii=False, default=str),
			"error": None,
			"error_detail": None,
			"record_errors": None,
		},
		update_modified=True,
	)
	frappe.db.commit()  # the write-ahead mark: from here on AFAS may receive lines
	found_before = 0
	try:
		held = held_lines(session.client, [identity for identity, _r in todo])
		for identity, record in todo:
			finding = find_line(identity, held)
			if finding.action == "undecided":
				raise LinesUndecided(
					_("AFAS holds several lines with external key {0}: {1}. Look them up in AFAS").format(
						identity, ", ".join(finding.lines)
					)
				)
			if finding.action == "link":
				found_before += 1
				line = finding.line
			else:
				line = _insert(session.client, identity, record)
			_remember(mapping, row_of[identity], identity, str(line), credit=cancelled)
			frappe.db.commit()  # this line is in AFAS and linked: a later failure does not send it again
	except LinesUndecided as exc:
		frappe.db.rollback()
		return record_failure(log, exc, list(session.exchanges))
	except AfasOutcomeUnknownError as exc:
		frappe.db.rollback()
		return record_failure(log, _lost(exc), list(session.exchanges))
	except AfasError as exc:
		frappe.db.rollback()
		return record_failure(log, exc, list(session.exchanges))
	except Exception as exc:  # anything of ours after a line left: the look-up makes sending again safe
		frappe.db.rollback()
		return record_failure(log, _lost(exc), list(session.exchanges))
	exchanges = list(session.exchanges)
	sent = sum(1 for e in exchanges if (e.method or "").upper() == "POST")
	fields: dict[str, Any] = {
		"attempts": int(log.get("attempts") or 0) + sent,
		**exchange_excerpts(exchanges),
	}
	if found_before:
		fields["error"] = _(
			"{0} of the lines were already in AFAS (found by external key); not sent again"
		).format(found_before)
	finish_log(log, "Success", next_attempt=None, **fields)
	return "Success"


def _lost(exc: Exception) -> LineAnswerLost:
	return LineAnswerLost(
		_(
			"AFAS's answer was lost ({0}); the next round looks the lines up by external key before sending"
		).format(f"{type(exc).__name__}: {exc}")[:900],
		method="POST",
	)


def _credited(link: Any) -> bool:
	return bool(frappe.db.get_value("AFAS Record Link", link.name, "reversal_key"))


def _refusal(mapping: Any, doctype: str, name: str) -> str | None:
	"""Why the mapping's author may not send this Timesheet, if so (``binding/write_rules.py``)."""
	refused = write_rules.cached_refusal(mapping)
	author = write_rules.author_of(mapping)
	if not refused and author != "Administrator" and frappe.db.exists(doctype, name):
		if not write_rules.may_read(doctype, name, author):
			refused = _("{0} (Runs As of {1}) may not read {2} {3}, so it is not sent").format(
				author, mapping.name, _(doctype), name
			)
	return refused


def _insert(client: Any, identity: str, record: Record) -> str:
	result = client.insert(CONNECTOR, record)
	line = result.key("Id")
	if line in (None, ""):  # AFAS answered without the number: the line just booked is the one found now
		finding = find_line(identity, held_lines(client, [identity]))
		if finding.action != "link":
			raise LineAnswerLost(_("AFAS booked line {0} but returned no line number").format(identity))
		line = finding.line
	return str(line)


def _remember(mapping: Any, row: str, identity: str, line: str, *, credit: bool) -> None:
	if credit:
		link = link_of(mapping.name, DETAIL, row)
		update_link(link.name, reversal_key=line)
		return
	link_document(mapping.name, line, DETAIL, row)
	link = link_of(mapping.name, DETAIL, row)
	update_link(link.name, note=f"XpRe {identity}")


# ------------------------------------------------------------------ reading


def time_logs(doc: Any) -> list[TimeLog]:
	"""The Timesheet's time logs as ``sync/hours.py`` plans them."""
	return [
		TimeLog(
			timesheet=doc.name,
			row=row.name,
			employee=doc.employee or "",
			date=str(getdate(row.from_time)),
			hours=Decimal(str(row.hours or 0)),
			project=row.project or doc.get("parent_project") or None,
			activity_type=row.activity_type or None,
			description=row.description or None,
		)
		for row in doc.time_logs
	]


def held_lines(client: Any, identities: list[str]) -> list[dict[str, Any]]:
	"""The lines AFAS holds under ``identities`` (``ERP_Realization``: ``Identity``, ``ExternalKey``)."""
	return _rows_where(client, LINES_CONNECTOR, "ExternalKey", identities)


def _rows_where(client: Any, connector: str, field: str, values: Iterable[str]) -> list[dict[str, Any]]:
	values = sorted({v for v in values if v})
	rows: list[dict[str, Any]] = []
	for start in range(0, len(values), CHUNK):
		filters = FilterSet()
		for value in values[start : start + CHUNK]:
			filters.or_where(field, "=", value)
		rows.extend(client.iter_rows(connector, filters=filters, order_by=[field]))
	return rows


def _mapping_of(mapping: Any, afas_field: str) -> str | None:
	for row in mapping.field_mappings:
		if row.afas_field == afas_field and row.transform == "afas_key":
			return (row.transform_options or "").strip() or None
	return None


def _codes(mapping: Any, afas_field: str) -> tuple[str | None, dict[str, str]]:
	"""The default code of a row (a constant or a quoted expression) and its per activity type map (a
	``value_map`` row on ``activity_type``)."""
	for row in mapping.field_mappings:
		if row.afas_field != afas_field:
			continue
		options = (row.transform_options or "").strip()
		if row.transform == "value_map":
			try:
				return row.get("default_value") or None, {
					str(k): str(v) for k, v in json.loads(options).items()
				}
			except (ValueError, AttributeError):
				return None, {}
		if row.transform == "constant":
			return options or None, {}
		if row.transform == "expression" and _LITERAL.fullmatch(options):  # the template's "300"
			return options[1:-1].strip() or None, {}
	return None, {}


#: An expression that is a quoted code and nothing else.
_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")


def check_codes(doc: Any) -> None:
	"""At save (``binding/outbound_mapping.py``): the work types and hour types an hours mapping books
	on are ones AFAS has (``Profit_Worktype``, ``Profit_Hourtype``), as the ledger checks its accounts;
	checked when AFAS can be reached, left unchecked when the App Connector lacks the GetConnector."""
	if not is_hours(doc) or not is_enabled():
		return
	for field, connector, column, label in (
		("ItCd", WORK_TYPES_CONNECTOR, "ItemCode", _("work type")),
		("StId", HOUR_TYPES_CONNECTOR, "TimeCode", _("hour type")),
	):
		default, per_activity = _codes(doc, field)
		codes = {c for c in (default, *per_activity.values()) if c}
		if not codes:
			continue
		try:
			with get_client() as client:
				known = {str(r.get(column)) for r in client.iter_rows(connector, order_by=[column])}
		except AfasError as exc:
			if exc.status in (404, 500):
				continue  # this App Connector has no such GetConnector: the codes stay unchecked
			frappe.msgprint(
				_("Could not check the {0} codes against AFAS: {1}").format(label, escape_html(str(exc))),
				indicator="orange",
				alert=True,
			)
			return
		unknown = sorted(codes - known)
		if unknown:
			frappe.throw(
				_("AFAS does not have {0} {1} ({2})").format(label, ", ".join(unknown), connector),
				title=_("Unknown AFAS value"),
			)


def reference(mapping: Any, client: Any, logs: list[TimeLog]) -> HoursReference:
	"""What AFAS knows for these logs: their employees' and projects' AFAS codes (Record Links, or a
	name that is itself a code), which of them AFAS has, and its hour and work types."""
	employees_mapping = _mapping_of(mapping, "EmId")
	projects_mapping = _mapping_of(mapping, "PrId")
	employees = {t.employee: _key(employees_mapping, t.employee) for t in logs}
	projects = {t.project: _key(projects_mapping, t.project) for t in logs if t.project}
	known_employees = {
		str(r.get("EmployeeId"))
		for r in _rows_where(client, EMPLOYEES_CONNECTOR, "EmployeeId", {*employees.values(), *employees})
	}
	known_projects = {
		str(r.get("ProjectId"))
		for r in _rows_where(client, PROJECTS_CONNECTOR, "ProjectId", {*projects.values(), *projects})
	}
	for mapped in (employees, projects):  # an ERPNext name AFAS knows as a code is that code
		known = known_employees if mapped is employees else known_projects
		for name, key in list(mapped.items()):
			if not key and name in known:
				mapped[name] = name
	work_type, work_types = _codes(mapping, "ItCd")
	hour_type, hour_types = _codes(mapping, "StId")
	return HoursReference(
		employees={k: v for k, v in employees.items() if v},
		projects={k: v for k, v in projects.items() if v},
		known_employees=frozenset(known_employees),
		known_projects=frozenset(known_projects),
		hour_types=frozenset(
			str(r.get("TimeCode")) for r in client.iter_rows(HOUR_TYPES_CONNECTOR, order_by=["TimeCode"])
		),
		work_types=frozenset(
			str(r.get("ItemCode")) for r in client.iter_rows(WORK_TYPES_CONNECTOR, order_by=["ItemCode"])
		),
		work_type_of=work_types,
		hour_type_of=hour_types,
		default_work_type=work_type,
		default_hour_type=hour_type,
	)


def _key(linked_mapping: str | None, name: str) -> str | None:
	return afas_key_of(linked_mapping, name) if linked_mapping and name else None
