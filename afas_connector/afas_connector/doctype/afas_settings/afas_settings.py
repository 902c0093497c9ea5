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
		):
			value = self.get(fieldname)
			if value is not None and not (low <= int(value) <= high):
				frappe.throw(
					_("{0} must be between {1} and {2}").format(_(self.meta.get_label(fieldname)), low, high),
					title=_("Invalid value"),
				)
		if self.default_page_size and int(self.default_page_size) < 0:
			frappe.throw(_("Default Page Size must be 0 (automatic) or more"))
		problems = config_from_settings(self).problems()
		if not self.enabled:
			# A disabled connection may be saved half-filled; only malformed values are refused.
			problems = [p for p in problems if "required" not in p]
		if problems:
			frappe.throw("<br>".join(frappe.utils.escape_html(p) for p in problems), title=_("AFAS Settings"))

	def on_update(self) -> None:
		clear_outbound_cache()
