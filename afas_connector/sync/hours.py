"""Hours to AFAS, pure: a submitted ERPNext Timesheet's time logs → AFAS actual-costing lines
(UpdateConnector ``PtRealization``, module "Projecten en nacalculatie"), one line per time log, exactly
once.

**The line.** AFAS's examples ("2 hour rows", "werksoort", "Minimaal"; ``Projecten en
nacalculatie.json``) book hours as item type 1 (``VaIt`` "1", a work type) with the work type as
``ItCd``, the date ``DaTi``, the hours ``Qu``, the employee ``EmId``, the project ``PrId``, the hour type
``StId`` and a description ``Ds`` (at most 255). ``DaTi``, ``VaIt`` and ``ItCd`` are mandatory.

**Exactly once.** Each line carries the time log's identity in AFAS's external key ``XpRe`` (at most 40,
"External key"; AFAS answers a POST with ``XpRe``, ``Id`` and ``Sessieguid``). AFAS's spec does not say
it refuses a second line with the same external key, so before any resend (a lost answer, a timeout, a
killed worker: Outcome Unknown) the caller reads the lines AFAS holds under that key (the App
Connector's own GetConnector on "Nacalculatie" with the field "Externe sleutel"; AFAS's standard
``Profit_Realization`` has no such column) and :func:`find_line` decides.

**Cancel and amend.** AFAS lets a booked line be changed by its line number (PUT with ``Id``) and booked
against with a negative quantity (example "Credit": ``Qu`` -10); it documents no DELETE for a line. So,
as the ledger does: a cancelled Timesheet's lines are each met by a credit line (:func:`credit_line`,
external key ``<identity>-C``), never deleted; an amended Timesheet is a new document whose logs are new
lines. Never a second line for one log: the credit has its own identity, and is looked up the same way.

**Before sending.** An employee or project AFAS does not know, or an hour type or work type it does
not have, is a row error naming the value and the GetConnector that would know it (``ERP_Employees``
or ``Profit_Employees``, ``Profit_Projects``, ``Profit_Hourtype``, ``Profit_Worktype``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from afas_connector.afas.update import Record
from afas_connector.sync.mapping_errors import RecordError

CONNECTOR = "PtRealization"
MAX_EXTERNAL_KEY = 40  # XpRe
MAX_DESCRIPTION = 255  # Ds
WORK_TYPE_ITEM = "1"  # VaIt: Werksoort
EMPLOYEES_CONNECTOR = "ERP_Employees"
PROJECTS_CONNECTOR = "Profit_Projects"
HOUR_TYPES_CONNECTOR = "Profit_Hourtype"
WORK_TYPES_CONNECTOR = "Profit_Worktype"
CREDIT_SUFFIX = "-C"


@dataclass(frozen=True)
class TimeLog:
	"""One ERPNext Timesheet Detail row, as the binding layer reads it."""

	timesheet: str
	row: str  # the child row's name: stable, unique, new on an amended copy
	employee: str  # the Timesheet's employee (ERPNext name)
	date: str  # from_time's date, YYYY-MM-DD
	hours: Decimal
	project: str | None = None
	activity_type: str | None = None
	description: str | None = None


@dataclass(frozen=True)
class HoursReference:
	"""What AFAS knows and how ERPNext's values become AFAS's: the employees' and projects' AFAS keys
	(from their Record Links), the codes AFAS has (read from its GetConnectors), and the activity
	type → work type / hour type maps of the mapping."""

	employees: Mapping[str, str]  # ERPNext Employee → AFAS EmId
	projects: Mapping[str, str]  # ERPNext Project → AFAS PrId
	known_employees: frozenset[str]
	known_projects: frozenset[str]
	hour_types: frozenset[str]
	work_types: frozenset[str]
	work_type_of: Mapping[str, str]  # activity type → ItCd
	hour_type_of: Mapping[str, str]  # activity type → StId
	default_work_type: str | None = None
	default_hour_type: str | None = None


def log_identity(log: TimeLog) -> str:
	"""The external key (``XpRe``) of a log's line: ``<timesheet>/<row>`` when it fits in 40, else a
	hash of it (``erpnext-`` and 30 hex digits, room left for the credit's ``-C``). The same log always gives the same key."""
	plain = f"{log.timesheet}/{log.row}"
	if len(plain) + len(CREDIT_SUFFIX) <= MAX_EXTERNAL_KEY:
		return plain
	return "erpnext-" + hashlib.sha256(plain.encode("utf-8")).hexdigest()[:30]


def plan_lines(
	logs: Iterable[TimeLog], ref: HoursReference
) -> tuple[list[tuple[str, Record]], list[RecordError]]:
	"""``[(identity, PtRealization record)]`` for the logs that can go, and a row error for each that
	cannot (naming the value and the connector that would know it)."""
	planned: list[tuple[str, Record]] = []
	errors: list[RecordError] = []
	for log in logs:
		identity = log_identity(log)
		problem = _problem(log, ref)
		if problem:
			errors.append(RecordError(identity, problem[0], problem[1]))
			continue
		activity = log.activity_type or ""
		fields: dict[str, Any] = {
			"XpRe": identity,
			"DaTi": log.date[:10],
			"VaIt": WORK_TYPE_ITEM,
			"ItCd": ref.work_type_of.get(activity) or ref.default_work_type,
			"Qu": float(Decimal(log.hours).quantize(Decimal("0.01"), ROUND_HALF_UP)),
			"EmId": ref.employees[log.employee],
		}
		if log.project:
			fields["PrId"] = ref.projects[log.project]
		hour_type = ref.hour_type_of.get(activity) or ref.default_hour_type
		if hour_type:
			fields["StId"] = hour_type
		if log.description:
			fields["Ds"] = log.description.strip()[:MAX_DESCRIPTION]
		planned.append((identity, Record(fields=fields)))
	return planned, errors


def _problem(log: TimeLog, ref: HoursReference) -> tuple[str, str] | None:
	employee = ref.employees.get(log.employee)
	if not employee:
		return (
			"employee",
			f"Employee {log.employee} has no AFAS employee number: no employees mapping ({EMPLOYEES_CONNECTOR}) "
			"has linked it",
		)
	if employee not in ref.known_employees:
		return "employee", f"AFAS does not know employee {employee} ({EMPLOYEES_CONNECTOR})"
	if log.project:
		project = ref.projects.get(log.project)
		if not project:
			return (
				"project",
				f"Project {log.project} has no AFAS project number: no projects mapping ({PROJECTS_CONNECTOR}) "
				"has linked it",
			)
		if project not in ref.known_projects:
			return "project", f"AFAS does not know project {project} ({PROJECTS_CONNECTOR})"
	activity = log.activity_type or ""
	work_type = ref.work_type_of.get(activity) or ref.default_work_type
	if not work_type:
		return "activity_type", f"Activity type {activity or '(none)'} has no AFAS work type in the mapping"
	if work_type not in ref.work_types:
		return "activity_type", f"AFAS does not have work type {work_type} ({WORK_TYPES_CONNECTOR})"
	hour_type = ref.hour_type_of.get(activity) or ref.default_hour_type
	if hour_type and hour_type not in ref.hour_types:
		return "activity_type", f"AFAS does not have hour type {hour_type} ({HOUR_TYPES_CONNECTOR})"
	if Decimal(log.hours) <= 0:
		return "hours", f"{log.hours} hours: a time log books a positive number of hours"
	return None


def credit_line(identity: str, booked: Record) -> tuple[str, Record]:
	"""The credit for a booked line (AFAS's example "Credit": the same line with a negative quantity),
	with its own external key."""
	fields = dict(booked.fields)
	fields["Qu"] = -float(fields.get("Qu") or 0)
	fields["XpRe"] = identity + CREDIT_SUFFIX
	if fields.get("Ds"):
		fields["Ds"] = ("Credit: " + str(fields["Ds"]))[:MAX_DESCRIPTION]
	return identity + CREDIT_SUFFIX, Record(fields=fields)


@dataclass(frozen=True)
class LineFinding:
	"""``link`` (AFAS holds the line: its number ``line``), ``book`` (it does not), or ``undecided``
	(several lines carry the key; ``lines`` lists them, the user decides)."""

	action: str
	line: str | None = None
	lines: tuple[str, ...] = ()


def find_line(
	identity: str, rows: Iterable[Mapping[str, Any]], key_field: str = "ExternalKey"
) -> LineFinding:
	"""Whether AFAS already holds the line ``identity`` among ``rows`` (read filtered on the external key,
	each with its line number ``Identity``)."""
	found = [str(r.get("Identity")) for r in rows if str(r.get(key_field) or "") == identity]
	if not found:
		return LineFinding("book")
	if len(found) == 1:
		return LineFinding("link", found[0])
	return LineFinding("undecided", lines=tuple(found))
