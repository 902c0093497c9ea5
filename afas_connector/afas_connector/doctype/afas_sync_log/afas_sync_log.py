"""AFAS Sync Log: one row per inbound run or outbound change — what happened, and why not."""

import frappe
from frappe.model.document import Document
from frappe.utils import add_days, now_datetime

from afas_connector.binding.constants import LOG
from afas_connector.binding.monitoring import log_waiting_notice
from afas_connector.binding.sync_log import log_title


class AFASSyncLog(Document):
	def validate(self) -> None:
		if not self.title:
			self.title = log_title(self.as_dict())

	def onload(self) -> None:
		if self.status in ("Queued", "Retrying"):
			self.set_onload("waiting", log_waiting_notice(self.status, self.direction, self.mapping))

	@staticmethod
	def clear_old_logs(days: int = 30) -> int:
		"""Frappe's Log Settings call this daily (hook ``default_log_clearing_doctypes``): successful
		logs (and budget deferrals) older than ``days`` are deleted; failed and partial ones stay until
		someone handles them. Returns how many were deleted."""
		if not days or int(days) <= 0:
			return 0
		filters = {
			"status": ["in", ("Success", "Deferred")],
			"creation": ["<", add_days(now_datetime(), -int(days))],
		}
		count = frappe.db.count(LOG, filters)
		if count:
			frappe.db.delete(LOG, filters)
		return count


def on_doctype_update() -> None:
	frappe.db.add_index(LOG, ["status", "next_attempt"])
	frappe.db.add_index(LOG, ["reference_doctype", "reference_name"])
	frappe.db.add_index(LOG, ["mapping", "status", "finished_at"])  # monitoring: last success, failures
