"""The whitelisted API over real HTTP: who gets in, rate limits, and no secret in any answer."""

from __future__ import annotations

import frappe

from afas_connector.tests.bench.fixtures import (
	SECRETS,
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	make_mapping,
	simulator,
	site_server,
)

MAPPING = "Test API Debtors"
ENDPOINTS = [
	("test_connection", "POST", {}),
	("get_connectors", "GET", {}),
	("get_connector_fields", "GET", {"connector": "ERP_Debtors", "kind": "get"}),
	("fetch_fields", "POST", {"mapping": MAPPING}),
	("preview_mapping", "POST", {"mapping": MAPPING, "limit": 2}),
	("sync_now", "POST", {"mapping": MAPPING}),
	("sync_status", "GET", {}),
	("retry_log", "POST", {"name": "nope"}),
	("retry_logs", "POST", {"names": "[]"}),
	("push_document", "POST", {"doctype": "Customer", "name": "nope"}),
	("suggest_fields", "GET", {"connector": "ERP_Debtors", "direction": "Inbound", "doctype": "Customer"}),
	("failures_card", "GET", {}),
	("queued_changes_card", "GET", {}),
]
#: What the read-only AFAS Monitor may read: the workspace's cards, nothing that asks AFAS or writes.
MONITOR_MAY = {"failures_card", "queued_changes_card", "sync_status"}


class TestAPIOverHTTP(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		make_mapping(
			MAPPING,
			direction="Inbound",
			afas_connector="ERP_Debtors",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			schedule="Manual Only",
			field_mappings=[{"afas_field": "Name", "erpnext_field": "customer_name"}],
		)
		cls.server = site_server()
		# Fetch Fields saves the mapping, which then runs as this manager: they must be able to write
		# Customers themselves (the trust model, binding/write_rules.py)
		cls.manager = api_user("afas-manager@example.com", ["AFAS Manager", "Sales Master Manager"])
		cls.plain = api_user("afas-plain@example.com", ["Sales User"])

	@classmethod
	def tearDownClass(cls):
		cleanup_mapping(MAPPING)
		super().tearDownClass()

	def setUp(self):
		frappe.cache.delete_keys("rl:")

	def test_plain_user_and_guest_get_403_everywhere(self):
		for method, http, params in ENDPOINTS:
			for auth in (self.plain, None):
				response = self.server.call(f"afas_connector.api.{method}", http, auth=auth, **params)
				self.assertEqual(
					response.status_code,
					403,
					f"{method} as {'plain user' if auth else 'Guest'}: {response.text[:300]}",
				)

	def test_a_monitor_reads_the_cards_and_nothing_else(self):
		monitor = api_user("afas-monitor@example.com", ["AFAS Monitor"])
		for method, http, params in ENDPOINTS:
			if method not in MONITOR_MAY and method != "sync_now":
				response = self.server.call(f"afas_connector.api.{method}", http, auth=monitor, **params)
				self.assertEqual(
					response.status_code, 403, f"{method} as AFAS Monitor: {response.text[:300]}"
				)
		for method in ("failures_card", "queued_changes_card"):
			response = self.server.call(f"afas_connector.api.{method}", "GET", auth=monitor)
			self.assertEqual(response.status_code, 200, response.text[:300])
			self.assertIsInstance(response.json()["message"]["value"], int)

	def test_manager_gets_answers_without_secrets(self):
		for method, http, params in ENDPOINTS:
			if method == "sync_now":
				continue  # queues a job; covered in the inbound tests
			response = self.server.call(f"afas_connector.api.{method}", http, auth=self.manager, **params)
			self.assertIn(response.status_code, (200, 404, 417), f"{method}: {response.text[:300]}")
			if method in ("sync_status", "get_connectors", "get_connector_fields", "preview_mapping"):
				self.assertEqual(response.status_code, 200, f"{method}: {response.text[:300]}")
			for secret in SECRETS:
				self.assertNotIn(secret, response.text, method)
		summary = self.server.call("afas_connector.api.sync_status", "GET", auth=self.manager).json()
		self.assertIsInstance(summary["message"]["by_status"], dict)
		document = self.server.get("/api/resource/AFAS Settings/AFAS Settings", auth=self.manager)
		self.assertEqual(document.status_code, 200)
		self.assertTrue(set(document.json()["data"]["token"]) == {"*"})
		for secret in SECRETS:
			self.assertNotIn(secret, document.text)

	def test_state_changing_methods_refuse_get(self):
		response = self.server.call("afas_connector.api.test_connection", "GET", auth=self.manager)
		self.assertEqual(response.status_code, 403)

	def test_rate_limit_gives_429(self):
		statuses = [
			self.server.call("afas_connector.api.test_connection", "POST", auth=self.manager).status_code
			for _ in range(11)
		]
		self.assertEqual(statuses[:10], [200] * 10)
		self.assertEqual(statuses[10], 429)

	def test_bad_arguments_are_clear_4xx(self):
		response = self.server.call(
			"afas_connector.api.preview_mapping", "POST", auth=self.manager, mapping=MAPPING, limit="lots"
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn("limit", response.text)
		response = self.server.call(
			"afas_connector.api.sync_status", "GET", auth=self.manager, mapping="No Such Mapping"
		)
		self.assertEqual(response.status_code, 404)
		response = self.server.call(
			"afas_connector.api.get_connector_fields", "GET", auth=self.manager, connector="X", kind="delete"
		)
		self.assertEqual(response.status_code, 417)
