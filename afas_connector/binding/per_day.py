"""A mapping's *One Document per Day* in ERPNext (the pure part is ``sync/days.py``): an AFAS row that
spans days becomes a document per day, days off skipped, and a range AFAS shortens cancels the days it
no longer holds.

A day off is a date of the employee's holiday list (ERPNext's ``get_holiday_list_for_employee``: the
employee's own, else the company's default) when the document has an ``employee`` and such a list exists,
else a Saturday or Sunday.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import frappe
from erpnext.setup.doctype.employee.employee import get_holiday_list_for_employee

from afas_connector.binding.constants import LINK
from afas_connector.binding.record_links import link_filters
from afas_connector.binding.submitting import cancel_gone
from afas_connector.sync.days import DAY, expand, is_weekend, record_key
from afas_connector.sync.mapping_errors import RecordError


class Days:
	"""The per-day plan of one run (or preview) of ``mapping``; holiday lists are read once per employee."""

	def __init__(self, mapping: Any) -> None:
		self.mapping = mapping
		self.from_field = (mapping.get("day_from_field") or "").strip()
		self.to_field = (mapping.get("day_to_field") or "").strip()
		self._off: dict[str, frozenset[dt.date] | None] = {}

	@classmethod
	def of(cls, mapping: Any) -> Days | None:
		"""The plan when ``mapping`` writes one document per day, else None."""
		return cls(mapping) if mapping.get("one_per_day") else None

	def expand(
		self, keys: list[str], rows: list[dict[str, Any]]
	) -> tuple[list[str], list[dict[str, Any]], dict[str, RecordError]]:
		"""``(day keys, day rows, errors by AFAS key)``: see :func:`afas_connector.sync.days.expand`."""
		return expand(keys, rows, self.from_field, self.to_field)

	def day_off(self, row: dict[str, Any], values: dict[str, Any]) -> bool:
		"""Whether the day of day row ``row`` is a day off of the document's employee."""
		day = dt.date.fromisoformat(row[DAY])
		employee = values.get("employee")
		if employee not in self._off:
			self._off[employee] = self._holidays(employee) if employee else None
		holidays = self._off[employee]
		return day in holidays if holidays is not None else is_weekend(day)

	@staticmethod
	def _holidays(employee: str) -> frozenset[dt.date] | None:
		holiday_list = get_holiday_list_for_employee(employee, raise_exception=False)
		if not holiday_list:
			return None
		dates = frappe.get_all(
			"Holiday", filters={"parent": holiday_list, "parenttype": "Holiday List"}, pluck="holiday_date"
		)
		return frozenset(dates)

	def drop_stale(self, record_keys: set[str], day_keys: set[str], author: str) -> tuple[int, list[str]]:
		"""The days a record of this page held before and no longer spans (AFAS shortened or moved the
		range): their documents cancelled, their links dropped. Returns ``(cancelled, error messages)``;
		a day whose document could not be cancelled keeps its link (and is tried again next change)."""
		if not record_keys:
			return 0, []
		mapping = self.mapping.name
		links = frappe.get_all(
			LINK,
			filters=link_filters(mapping),
			# a % or _ in an AFAS key widens the match: the record_key test below narrows it again
			or_filters=[["afas_key", "like", f"{key}/%"] for key in record_keys],
			fields=["name", "afas_key", "reference_name"],
		)
		stale = [
			link
			for link in links
			if record_key(link.afas_key) in record_keys and link.afas_key not in day_keys
		]
		if not stale:
			return 0, []
		doctype = self.mapping.erpnext_doctype
		cancelled, errors = cancel_gone(doctype, [link.reference_name for link in stale], author)
		still = set(
			frappe.get_all(
				doctype,
				filters={"name": ["in", [link.reference_name for link in stale]], "docstatus": 1},
				pluck="name",
			)
		)
		gone = [link.name for link in stale if link.reference_name not in still]
		if gone:
			frappe.db.delete(LINK, {"name": ["in", gone]})
		return cancelled, errors
