"""Install and migrate hooks: the AFAS Manager role exists and the settings have sane defaults."""

import frappe

from afas_connector.binding.constants import MANAGER_ROLE
from afas_connector.binding.doc_events import clear_outbound_cache


def after_install() -> None:
	if not frappe.db.exists("Role", MANAGER_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": MANAGER_ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)
	clear_outbound_cache()


def before_tests() -> None:
	"""ERPNext's own test setup: on a site without a company it completes the setup wizard (a test
	company, fiscal year, fixtures such as warehouse types), as HRMS does for its tests. Frappe runs
	only the tested app's ``before_tests``, so ``run-tests --app afas_connector`` needs this."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
