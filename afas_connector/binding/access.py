"""Who may use the connector: the one rule the API, the desk's boot info and the forms share."""

from __future__ import annotations

import frappe
from frappe import _

from afas_connector.binding.constants import MANAGER_ROLES, MONITOR_ROLE


def is_manager() -> bool:
	"""An AFAS Manager or System Manager: who may use the connector's API and buttons."""
	return frappe.session.user != "Guest" and bool(set(frappe.get_roles()) & set(MANAGER_ROLES))


def require_manager() -> None:
	"""Only AFAS Managers and System Managers may use the connector's API."""
	if not is_manager():
		raise frappe.PermissionError(_("Only an AFAS Manager or System Manager may do this"))


def is_monitor() -> bool:
	"""An AFAS Monitor (read-only: the health answer and the alerts), or anyone who is a manager."""
	return is_manager() or (frappe.session.user != "Guest" and MONITOR_ROLE in frappe.get_roles())


def require_monitor() -> None:
	"""The health answer is for AFAS Managers, System Managers and the read-only AFAS Monitor role."""
	if not is_monitor():
		raise frappe.PermissionError(_("Only an AFAS Manager, AFAS Monitor or System Manager may do this"))
