"""AFAS Settings' own "Keep Successful Logs (days)" gave way to Frappe's Log Settings, which clears
old AFAS Sync Logs daily. Keep the number a site had chosen."""

import frappe

from afas_connector.binding.constants import LOG, SETTINGS


def execute() -> None:
	days = frappe.db.sql(
		"select value from `tabSingles` where doctype=%s and field=%s", (SETTINGS, "log_retention_days")
	)
	if not days or not days[0][0]:
		return
	settings = frappe.get_single("Log Settings")
	row = next((r for r in settings.logs_to_clear if r.ref_doctype == LOG), None)
	if row is None:
		row = settings.append("logs_to_clear", {"ref_doctype": LOG})
	row.days = int(float(days[0][0]))
	settings.save(ignore_permissions=True)
	frappe.db.delete("Singles", {"doctype": SETTINGS, "field": "log_retention_days"})
