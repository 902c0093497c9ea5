"""Bench-tier helpers: one simulator per test process, settings pointed at it, a real HTTP server
for the site, users with API keys, and clean-up of what a test committed."""

from __future__ import annotations

import atexit
import base64
import threading
from typing import Any

import frappe
import requests

# The one place the bench tests branch on the Frappe version: their base class.
try:  # Frappe 16: FrappeTestCase is deprecated (removed in 17)
	from frappe.tests import IntegrationTestCase  # noqa: F401 (the tests import it from here)
except ImportError:  # Frappe 15 has only FrappeTestCase, which does the same: a site, rollback per class
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase  # noqa: F401

from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.devtools.samples import isolate_outbound, restore_outbound  # noqa: F401 (the tests import them from here)
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

#: The demo token in every form it could leak in: XML, base64 header value, data part.
SECRETS = (
	DEMO_TOKEN,
	base64.b64encode(DEMO_TOKEN.encode()).decode(),
	DEMO_TOKEN.split("<data>")[1].split("</data>")[0],
)

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


def tag_rows(sim: AfasSimulator, connector: str, key: str, tag: str) -> None:
	"""Append ``tag`` to every row's Name (so this test's documents never collide with earlier ones),
	keeping each row's modified date: a tagged row is not "changed just now"."""
	for row in sim.rows(connector):
		sim.update_row(connector, row[key], {"Name": f"{row['Name']} {tag}", "Modified": row["Modified"]})


def configure(sim: AfasSimulator, **overrides: Any) -> Any:
	"""Point AFAS Settings at the simulator (committed: background code reads it from the database)."""
	from afas_connector.devtools.samples import use_simulator

	values = {
		"timeout": 5,
		"max_attempts": 3,
		"base_delay": 0,
		"language": "nl-nl",
		"environment_type": "Production",
		**overrides,
	}
	return use_simulator(values.pop("base_url", sim.base_url), **values)


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


def push_mapping(name: str, **extra: Any) -> Any:
	"""An outbound Customer → KnSalesRelationOrg mapping (the demo's field map) pushing on insert and update."""
	from afas_connector.devtools.samples import CUSTOMER_TO_DEBTOR

	fields = {
		"direction": "Outbound",
		"afas_connector": "KnSalesRelationOrg",
		"erpnext_doctype": "Customer",
		"afas_key_field": "DbId",
		"push_on_insert": 1,
		"push_on_update": 1,
		"field_mappings": CUSTOMER_TO_DEBTOR,
		**extra,
	}
	return make_mapping(name, **fields)


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
	clear_outbound_cache()


COMPANY = "AFAS Test B.V."
ITEMS = ("AFAS-TEST-BOUT", "AFAS-TEST-MOER")


def sales_masters() -> str:
	"""A Dutch company and two non-stock items to sell, created once; returns the company."""
	if not frappe.db.exists("Company", COMPANY):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": COMPANY,
				"abbr": "ATBV",
				"country": "Netherlands",
				"default_currency": "EUR",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	for code in ITEMS:
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": code.replace("AFAS-TEST-", "").title(),
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert(ignore_permissions=True)
	frappe.db.commit()
	return COMPANY


def new_sales_order(customer: str, lines: list[tuple[str, float, float]]) -> Any:
	"""A submitted Sales Order of the test company, in euros, with a customer reference."""
	from afas_connector.devtools.samples import new_sales_order as make

	return make(customer, COMPANY, lines, currency="EUR", po_no="PO-" + frappe.generate_hash(length=5))


def debtor_and_order_mappings(case: Any, customers: str, orders: str) -> None:
	"""For one test: the Customer → debtor push mapping (companies only) and the demo's Sales Order →
	FbSales mapping that names the debtor by that mapping's AFAS key, every other outbound mapping
	paused; all undone when the test ends, even when its setUp fails half-way."""
	from afas_connector.devtools.samples import sales_order_mapping

	case.addCleanup(cleanup_mapping, customers)
	push_mapping(customers, condition='doc.customer_type == "Company"')
	case.addCleanup(cleanup_mapping, orders)
	spec = sales_order_mapping(customers)
	del spec["mapping_name"]
	make_mapping(orders, **spec)
	case.addCleanup(restore_outbound, isolate_outbound(customers, orders))


def delete_created(sim: AfasSimulator, created: list[tuple[str, str]]) -> None:
	"""Delete the documents a test made ((doctype, name), last made first), cancelling submitted
	ones, with the simulator's faults cleared first so no push of theirs fails on one; commit."""
	sim.faults.clear()
	for doctype, name in reversed(created):
		if frappe.db.exists(doctype, name):
			if frappe.db.get_value(doctype, name, "docstatus") == 1:
				frappe.get_doc(doctype, name).cancel()
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	frappe.db.commit()


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


#: (scenario, records, lost, duplicated) of every fault and integrity scenario, printed once at the
#: end of the run, so the bench-tier output shows the whole suite at a glance.
SUMMARY: list[tuple[str, int, int, int]] = []


def record_scenario(scenario: str, records: int, lost: int, duplicated: int) -> None:
	if not SUMMARY:
		atexit.register(print_summary)
	SUMMARY.append((scenario, records, lost, duplicated))


def print_summary() -> None:
	print("\nAFAS fault and integrity suite (inbound and outbound)")
	print(f"{'scenario':<44} {'records':>7} {'lost':>5} {'duplicated':>10}")
	for scenario, records, lost, duplicated in SUMMARY:
		print(f"{scenario:<44} {records:>7} {lost:>5} {duplicated:>10}")


#: (attack, refused) of every attack the security tests make (issue 23), printed once at the end of
#: the run with the fault suite's table: what was attempted, and that each was refused.
ATTACKS: list[tuple[str, bool]] = []


def record_attack(attack: str, *, refused: bool) -> None:
	if not ATTACKS:
		atexit.register(print_attacks)
	ATTACKS.append((attack, refused))


def print_attacks() -> None:
	refused = sum(1 for _attack, ok in ATTACKS if ok)
	print(f"\nAFAS attack suite: {len(ATTACKS)} attempted, {refused} refused")
	for attack, ok in ATTACKS:
		print(f"{'refused ' if ok else 'GOT IN  '} {attack}")
