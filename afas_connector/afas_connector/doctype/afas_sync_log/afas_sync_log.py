"""AFAS Sync Log: one row per inbound run or outbound change — what happened, and why not."""

import frappe
from frappe.model.document import Document


class AFASSyncLog(Document):
	def validate(self) -> None:
		if not self.title:
			from afas_connector.sync_log import log_title

			self.title = log_title(self.as_dict())

	@staticmethod
	def clear_old_logs(days: int = 30) -> None:
		from afas_connector.sync_log import clear_old_logs

		clear_old_logs(days)


def on_doctype_update() -> None:
	frappe.db.add_index("AFAS Sync Log", ["status", "next_attempt"])
	frappe.db.add_index("AFAS Sync Log", ["reference_doctype", "reference_name"])
