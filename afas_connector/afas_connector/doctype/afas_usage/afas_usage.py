"""AFAS Usage: the calls, rows and bytes the connector sent AFAS, per day, connector and environment.

Rows are written only by ``binding/usage.py`` (one upsert per client close), never by a user."""

import frappe
from frappe.model.document import Document
from frappe.utils import add_days, getdate, nowdate

from afas_connector.binding.constants import USAGE


class AFASUsage(Document):
	@staticmethod
	def clear_old_logs(days: int = 400) -> int:
		"""Frappe's Log Settings call this daily (hook ``default_log_clearing_doctypes``): days older
		than ``days`` are deleted. Returns how many rows were."""
		if not days or int(days) <= 0:
			return 0
		filters = {"date": ["<", add_days(getdate(nowdate()), -int(days))]}
		count = frappe.db.count(USAGE, filters)
		if count:
			frappe.db.delete(USAGE, filters)
		return count
