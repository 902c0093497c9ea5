"""AFAS Settings: one AFAS environment, its credentials (encrypted) and request policy."""

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from afas_connector.afas import AfasConfig
from afas_connector.binding.connection import config_from_settings
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.binding.monitoring import threshold_defaults
from afas_connector.binding.webhooks import check_routes

#: The fields that decide where requests, and so the credentials, go.
DESTINATION_FIELDS = ("base_url", "environment_id", "environment_type")
#: Each Password field and the Authentication that sends it.
SECRET_FIELDS = {"token": "AfasToken", "client_secret": "OAuth2 Client Credentials"}


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
		self.validate_credentials_destination()
		check_routes(self.get("webhook_routes") or [])

	def validate_credentials_destination(self) -> None:
		"""The token goes only to the AFAS endpoint it was entered for (design.md, trust model).

		Nobody can read the token back, but whoever may change Base URL could otherwise send it to a
		listener of their own with Test Connection. So a save that changes where requests go (Base URL,
		Environment ID or Type; the OAuth token endpoint is under the Base URL) must carry the secret the
		Authentication sends: Frappe hands an untouched Password field to ``validate`` as asterisks and
		a re-entered one as its value. The other secret, not entered for the new address, is forgotten,
		so switching Authentication later cannot send it there either. Saving without any address is
		allowed (nothing is sent); the next address set is a change again."""
		new = _destination(self)
		if not new or new == _destination(self._stored()):
			return
		in_use = "client_secret" if self.auth_method == SECRET_FIELDS["client_secret"] else "token"
		if _kept(self.get(in_use)):
			before = self._stored()
			changed = [
				_(self.meta.get_label(f))
				for f in DESTINATION_FIELDS
				if (self.get(f) or "").strip().rstrip("/") != (before.get(f) or "").strip().rstrip("/")
			]
			frappe.throw(
				_(
					"The token goes only to the AFAS endpoint it was entered for: {0} changed, so enter "
					"the {1} again in the same save."
				).format(", ".join(changed), _(self.meta.get_label(in_use))),
				title=_("Enter the credentials again"),
			)
		for fieldname in SECRET_FIELDS:
			if fieldname != in_use and _kept(self.get(fieldname)):
				self.set(fieldname, "")

	def _stored(self) -> Any:
		"""The settings as saved before this save (Frappe loads them to check the save is not stale)."""
		return self.get_doc_before_save() or frappe._dict(frappe.db.get_singles_dict(self.doctype))

	def validate_alert_thresholds(self) -> None:
		"""N, K, X and Y of the alerts: empty means the default; otherwise within sensible bounds."""

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


def _destination(settings: Any) -> str:
	"""Where requests go with these settings (see ``AfasConfig.destination``); ``""`` when nowhere."""
	return AfasConfig(
		environment_id=(settings.get("environment_id") or "").strip(),
		environment_type=(settings.get("environment_type") or "Production").lower(),
		base_url=(settings.get("base_url") or "").strip() or None,
	).destination


def _kept(value: str | None) -> bool:
	"""A Password field left as it was: Frappe sends the stored one back as asterisks."""
	return bool(value) and set(value) == {"*"}
