"""AFAS Sync Log: one row per inbound run or outbound change — what happened, and why not."""

import frappe
from frappe.model.document import Document


class AFASSyncLog(Document):
	def validate(self) -> None:
		if not self.title:
			subject = self.reference_name or self.mapping or self.afas_key or ""
			self.title = (
				" · ".join(p for p in (self.direction, subject, self.event) if p)[:140] or self.status
			)

	@staticmethod
	def clear_old_logs(days: int = 30) -> None:
		from afas_connector.sync_log import clear_old_logs

		clear_old_logs(days)


def on_doctype_update() -> None:
	frappe.db.add_index("AFAS Sync Log", ["status", "next_attempt"])
	frappe.db.add_index("AFAS Sync Log", ["reference_doctype", "reference_name"])
