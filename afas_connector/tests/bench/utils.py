"""Bench-tier helpers: one simulator per test process, settings pointed at it, a real HTTP server
for the site, users with API keys, and clean-up of what a test committed."""

from __future__ import annotations

import atexit
import threading
from typing import Any

import frappe
import requests

from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

_SIMULATOR: AfasSimulator | None = None
_SERVER: SiteServer | None = None


def simulator() -> AfasSimulator:
	"""The process-wide simulator (a real HTTP server on 127.0.0.1), reset for each caller."""
	global _SIMULATOR
	if _SIMULATOR is None:
		_SIMULATOR = AfasSimulator(port=0).start()
		atexit.register(_SIMULATOR.stop)
	_SIMULATOR.faults.clear()
	_SIMULATOR.clear_requests()
	_SIMULATOR.restore_token()
	return _SIMULATOR


def configure(sim: AfasSimulator, **overrides: Any) -> Any:
	"""Point AFAS Settings at the simulator (committed: background code reads it from the database)."""
	from afas_connector.demo import ensure_masters

	ensure_masters()
	settings = frappe.get_doc("AFAS Settings")
	settings.update(
		{
			"enabled": 1,
			"base_url": sim.base_url,
			"auth_method": "AfasToken",
			"token": DEMO_TOKEN,
			"environment_id": "12345",
			"timeout": 5,
			"max_attempts": 3,
			"base_delay": 0,
			"language": "nl-nl",
			**overrides,
		}
	)
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	frappe.cache.delete_value("afas_outbound_doctypes")
	return settings


def make_mapping(name: str, **fields: Any) -> Any:
	rows = fields.pop("field_mappings")
	if frappe.db.exists("AFAS Connector Mapping", name):
		frappe.delete_doc("AFAS Connector Mapping", name, force=True, ignore_permissions=True)
	doc = frappe.get_doc({"doctype": "AFAS Connector Mapping", "mapping_name": name, "enabled": 1, **fields})
	for row in rows:
		doc.append("field_mappings", row)
	doc.insert(ignore_permissions=True)
	frappe.db.commit()
	return doc


def cleanup_mapping(name: str, doctype: str | None = None) -> None:
	"""Delete a mapping, its links, logs and the documents it created; commit."""
	if doctype:
		names = frappe.get_all("AFAS Record Link", filters={"mapping": name}, pluck="reference_name")
		for docname in set(names):
			if frappe.db.exists(doctype, docname):
				frappe.delete_doc(doctype, docname, force=True, ignore_permissions=True)
	frappe.db.delete("AFAS Record Link", {"mapping": name})
	frappe.db.delete("AFAS Sync Log", {"mapping": name})
	if frappe.db.exists("AFAS Connector Mapping", name):
		frappe.delete_doc("AFAS Connector Mapping", name, force=True, ignore_permissions=True)
	frappe.db.commit()
	frappe.cache.delete_value("afas_outbound_doctypes")


def api_user(email: str, roles: list[str]) -> tuple[str, str]:
	"""A user with exactly ``roles`` and fresh API keys; returns (key, secret)."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	for role in roles:
		user.append("roles", {"role": role})
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	secret = frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return user.api_key, secret


class SiteServer:
	"""frappe's WSGI application on a real socket on 127.0.0.1, in a thread of the test process."""

	def __init__(self) -> None:
		from frappe.app import application
		from werkzeug.serving import make_server

		self.site = frappe.local.site
		self.server = make_server("127.0.0.1", 0, application, threaded=True)
		self.base = f"http://127.0.0.1:{self.server.server_port}"
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
		self.thread.start()

	def call(
		self, method: str, http: str = "POST", auth: tuple[str, str] | None = None, **params: Any
	) -> requests.Response:
		headers = {"Host": self.site, "Accept": "application/json"}
		if auth:
			headers["Authorization"] = f"token {auth[0]}:{auth[1]}"
		url = f"{self.base}/api/method/{method}"
		if http == "GET":
			return requests.get(url, params=params, headers=headers, timeout=30)
		return requests.post(url, data=params, headers=headers, timeout=30)

	def get(self, path: str, auth: tuple[str, str] | None = None) -> requests.Response:
		headers = {"Host": self.site, "Accept": "application/json"}
		if auth:
			headers["Authorization"] = f"token {auth[0]}:{auth[1]}"
		return requests.get(self.base + path, headers=headers, timeout=30)


def site_server() -> SiteServer:
	global _SERVER
	if _SERVER is None:
		_SERVER = SiteServer()
	return _SERVER
