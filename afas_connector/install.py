"""Install and migrate hooks: the AFAS Manager and AFAS Monitor roles exist and the settings have sane defaults."""

import frappe

from afas_connector.afas_connector.doctype.afas_sync_log.afas_sync_log import on_doctype_update
from afas_connector.binding.constants import MANAGER_ROLE, MONITOR_ROLE, SETTINGS
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.binding.monitoring import threshold_defaults


def after_install() -> None:
	if not frappe.db.exists("Role", MANAGER_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": MANAGER_ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)
	ensure_monitoring_defaults()
	clear_outbound_cache()


def ensure_monitoring_defaults() -> None:
	"""The read-only AFAS Monitor role (for monitoring tools: the health answer and the alerts), and
	the alert thresholds' defaults on AFAS Settings of a site that was installed before they existed
	(a Single gets its defaults only when it is first created)."""
	if not frappe.db.exists("Role", MONITOR_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": MONITOR_ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)
	# The Sync Log's indexes, including the one monitoring reads by (an unchanged DocType is not
	# synced again on migrate, so its on_doctype_update would not run); each is added once.

	on_doctype_update()
	stored = frappe.db.get_singles_dict(SETTINGS)
	if not stored:
		return  # never saved: the first load takes every field's default, these included

	for fieldname, value in threshold_defaults().items():
		if stored.get(fieldname) in (None, ""):
			frappe.db.set_single_value(SETTINGS, fieldname, value)


def before_tests() -> None:
	"""ERPNext's own test setup: on a site without a company it completes the setup wizard (a test
	company, fiscal year, fixtures such as warehouse types), as HRMS does for its tests. Frappe runs
	only the tested app's ``before_tests``, so ``run-tests --app afas_connector`` needs this."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
