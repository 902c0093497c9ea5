"""AFAS Settings: one AFAS environment, its credentials (encrypted) and request policy."""

import frappe
from frappe import _
from frappe.model.document import Document

from afas_connector.binding.connection import config_from_settings
from afas_connector.binding.doc_events import clear_outbound_cache


class AFASSettings(Document):
	def validate(self) -> None:
		if self.base_url:
			self.base_url = self.base_url.strip().rstrip("/")
		for fieldname, low, high in (
			("timeout", 1, 900),
			("max_attempts", 1, 10),
			("max_parallel_calls", 1, 8),  # AFAS: "A maximum of 8 parallel calls are allowed"
		):
			value = self.get(fieldname)
			if value is not None and not (low <= int(value) <= high):
				frappe.throw(
					_("{0} must be between {1} and {2}").format(_(self.meta.get_label(fieldname)), low, high),
					title=_("Invalid value"),
				)
		self.validate_alert_thresholds()
		if self.default_page_size and int(self.default_page_size) < 0:
			frappe.throw(_("Default Page Size must be 0 (automatic) or more"))
		problems = config_from_settings(self).problems()
		if not self.enabled:
			# A disabled connection may be saved half-filled; only malformed values are refused.
			problems = [p for p in problems if "required" not in p]
		if problems:
			frappe.throw("<br>".join(frappe.utils.escape_html(p) for p in problems), title=_("AFAS Settings"))

	def validate_alert_thresholds(self) -> None:
		"""N, K, X and Y of the alerts: empty means the default; otherwise within sensible bounds."""
		from afas_connector.binding.monitoring import threshold_defaults

		bounds = {
			"alert_failed_runs": (1, 100),
			"alert_late_factor": (1, 100),
			"alert_outbox_size": (1, 1_000_000),
			"alert_outbox_minutes": (1, 10_080),
		}
		for fieldname, default in threshold_defaults().items():
			value = frappe.utils.cint(self.get(fieldname))
			low, high = bounds[fieldname]
			if not value:
				self.set(fieldname, default)
			elif not low <= value <= high:
				frappe.throw(
					_("{0} must be between {1} and {2}").format(_(self.meta.get_label(fieldname)), low, high),
					title=_("Invalid value"),
				)

	def on_update(self) -> None:
		clear_outbound_cache()
