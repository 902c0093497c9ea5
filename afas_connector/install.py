"""Install and migrate hooks: the AFAS Manager role exists and the settings have sane defaults."""

import frappe

from afas_connector.events import clear_outbound_cache

ROLE = "AFAS Manager"


def after_install() -> None:
	if not frappe.db.exists("Role", ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)
	clear_outbound_cache()
