"""The "Push to AFAS" button, pressed in the real desk: headless Chromium against this site.

Needs what a desk needs: built assets (``bench build``), Chromium (Debian's ``chromium``), Node.js
and ``playwright-core`` (installed on first use into ~/.cache/afas_connector-ui from the npm
registry). Without them the test is skipped, and says why.
"""

from __future__ import annotations

from typing import ClassVar

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.desk_browser import (
	PASSWORD,
	USER,
	DeskTestCase,
	run_script,
	screenshot_path,
)
from afas_connector.tests.bench.fixtures import (
	cleanup_mapping,
	isolate_outbound,
	push_mapping,
	restore_outbound,
)


class TestDeskButton(DeskTestCase):
	desk_users: ClassVar = {USER: (["AFAS Manager", "Sales User"], None)}

	def setUp(self):
		super().setUp()
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
