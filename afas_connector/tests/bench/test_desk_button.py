"""The "Push to AFAS" button, pressed in the real desk: headless Chromium against this site.

Needs what a desk needs: built assets (``bench build``), Chromium (Debian's ``chromium``), Node.js
and ``playwright-core`` (installed on first use into ~/.cache/afas_connector-ui from the npm
registry). Without them the test is skipped, and says why.
"""

from __future__ import annotations

import sys

import frappe
from frappe.utils.password import update_password

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.desk_browser import (
	PASSWORD,
	USER,
	DeskServer,
	missing,
	run_script,
	screenshot_path,
)
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	restore_outbound,
	simulator,
)


class TestDeskButton(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.missing = missing()
		cls.server = None
		if cls.missing:  # skipped per test (setUp), so the run counts the test among those it ran
			print(f"\ndesk button test skipped: {cls.missing}", file=sys.stderr)
			return
		cls.sim = simulator()
		configure(cls.sim)
		api_user(USER, ["AFAS Manager", "Sales User"])
		update_password(USER, PASSWORD)
		frappe.db.commit()
		cls.server = DeskServer()

	@classmethod
	def tearDownClass(cls):
		if cls.server:
			cls.server.stop()
		super().tearDownClass()

	def setUp(self):
		if self.missing:
			self.skipTest(self.missing)
		self.name = "Test Desk " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, self.name)
		push_mapping(self.name)
		self.addCleanup(restore_outbound, isolate_outbound(self.name))
		self.customer = new_customer(f"Desk {self.name[-6:]} B.V.")
		self.addCleanup(
			frappe.delete_doc, "Customer", self.customer.name, force=True, ignore_permissions=True
		)
		frappe.db.commit()

	def test_push_to_afas_from_the_form(self):
		shot = screenshot_path("push-to-afas")
		result = run_script(
			"push_to_afas.cjs", self.server.base, USER, PASSWORD, "Customer", self.customer.name, shot
		)
		self.assertTrue(result["ok"], f"{result} (screenshot: {shot})")
		self.assertEqual(result["items"], ["Push to AFAS", "Sync Log"])
		self.assertEqual(result["boot"], ["Customer"])
		self.assertEqual(result["errors"], [], "no script errors in the page")
		frappe.db.commit()  # a fresh snapshot: the server committed on its own connection
		logs = frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": self.name, "reference_name": self.customer.name},
			fields=["status", "trigger"],
		)
		self.assertEqual([(log.status, log.trigger) for log in logs], [("Queued", "Manual")])
