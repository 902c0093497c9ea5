"""Issue 23 §2: the desk shows text from AFAS as text, in headless Chromium, in English and Dutch.

AFAS's metainfo lists a GetConnector whose id and description carry markup, a debtor mapping reads keys
carrying ``<img src=x onerror=alert(1)>`` and ``<script>alert(1)</script>``,
a push is refused with a message carrying those and ``<svg onload=alert(1)>``, its failing runs raise
an AFAS Alert, and a File Link names such a file. The Sync Logs, the Record Link (form, list, report
view), the File Link list, the Alert and the bell, the mapping's Preview dialog and connector picker and
the workspace are
opened by a desk user: the test fails if anything runs (an alert, confirm or prompt: ``page.on("dialog")``)
or an element made from AFAS's text is in the page, and checks the characters are shown as they are.
Screenshots: ``desk_browser.SCREENSHOTS/untrusted-<flow>-<language>-<page>.png``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import ClassVar

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.desk_browser import PASSWORD, DeskTestCase, run_script, screenshot_path
from afas_connector.tests.bench.fixtures import (
	cleanup_mapping,
	isolate_outbound,
	push_mapping,
	record_attack,
	restore_outbound,
)
from afas_connector.tests.bench.test_desk_flows import LABELS
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
USERS = {"en": "afas-untrusted@example.com", "nl": "afas-untrusted-nl@example.com"}


class TestUntrustedTextInTheDesk(DeskTestCase):
	desk_users: ClassVar = {
		user: (["AFAS Manager", "System Manager"], language) for language, user in USERS.items()
	}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if cls.missing:
			return
		tag = frappe.generate_hash(length=5)
		cls.tag = tag
		cls.mapping = f"Test Untrusted Desk {tag}"
		cls.push = f"Test Untrusted Desk Push {tag}"
		cls.others = isolate_outbound(cls.push)
		cls.sim.generate_rows(DEBTORS, n=2, seed=233)
		rows = cls.sim.rows(DEBTORS)
		for row in rows:
			cls.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {tag}"})
		cls.good_key, cls.bad_key = f"0K{IMG}{tag}", f"0K{SCRIPT}{tag}"  # first in key order
		cls.sim.add_rows(
			DEBTORS,
			[
				{**rows[0], "DebtorId": cls.good_key, "Name": f"Klant U23 {tag}"},
				{**rows[0], "DebtorId": cls.bad_key, "Name": "   "},
			],
		)
		# a GetConnector whose id and description in AFAS's metainfo carry markup (the connector picker)
		cls.listed = f"ERP_U23{IMG}"
		debtors = cls.sim.store.tables[DEBTORS.lower()].spec
		cls.sim.store.define_get_connector(replace(debtors, id=cls.listed, description=f"Debiteuren {SVG}"))
		debtor_mapping(cls.mapping)
		cls.preview_mapping = f"Test Untrusted Desk Preview {tag}"  # never run: its preview reads every row
		debtor_mapping(cls.preview_mapping)
		from afas_connector.binding.pull import sync_mapping

		cls.run_log = sync_mapping(cls.mapping).name
		cls.link = frappe.db.get_value("AFAS Record Link", {"mapping": cls.mapping, "afas_key": cls.good_key})
		frappe.get_doc(  # a file AFAS named with markup, listed with its AFAS reference
			{
				"doctype": "AFAS File Link",
				"mapping": cls.mapping,
				"environment": "u23",
				"direction": "Inbound",
				"kind": "Dossier Attachment",
				"afas_reference": f"A{SVG}{tag}",
				"afas_version": f"v{IMG}",
				"file_name": f"{SCRIPT}.html.bin",
			}
		).insert(ignore_permissions=True, ignore_links=True)

		push_mapping(cls.push)
		from afas_connector.binding.push import push_pending

		cls.customer = new_customer(f"U23 Desk {tag} B.V.").name
		frappe.db.commit()
		cls.sim.faults.add(
			connector="KnSalesRelationOrg",
			kind="validation",
			times=None,
			message=f"Geweigerd {IMG} {SCRIPT} {SVG}",
		)
		push_pending(cls.push, "Customer", cls.customer)
		cls.sim.faults.clear()
		cls.push_log = frappe.db.get_value(
			"AFAS Sync Log", {"mapping": cls.push, "reference_name": cls.customer}
		)

		from afas_connector.binding.alerts import raise_alert
		from afas_connector.sync.health import FAILING, Problem

		problem = Problem(
			f"failing_runs:{cls.mapping}",
			"failing_runs",
			FAILING,
			cls.mapping,
			{"count": 3, "error": f"AFAS: {IMG} {SCRIPT} {SVG}"},
		)
		cls.alert = raise_alert(problem)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		if not cls.missing:
			frappe.db.delete("Notification Log", {"document_name": cls.alert})
			frappe.db.delete("AFAS Alert", {"name": cls.alert})
			for email in frappe.get_all("Email Queue", filters={"reference_name": cls.alert}, pluck="name"):
				frappe.db.delete("Email Queue Recipient", {"parent": email})
				frappe.db.delete("Email Queue", {"name": email})
			frappe.db.delete("AFAS File Link", {"mapping": cls.mapping})
			frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
			frappe.db.commit()
			cleanup_mapping(cls.push)
			cleanup_mapping(cls.preview_mapping)
			cleanup_mapping(cls.mapping, "Customer")
			restore_outbound(cls.others)
			for key in (cls.good_key, cls.bad_key):
				cls.sim.delete_row(DEBTORS, key)
			cls.sim.store.tables.pop(cls.listed.lower(), None)
		super().tearDownClass()

	def flow(self, name: str, language: str, **args) -> dict:
		prefix = screenshot_path(f"untrusted-{name}-{language}")[: -len(".png")]
		result = run_script(
			"untrusted_text.cjs",
			self.server.base,
			USERS[language],
			PASSWORD,
			name,
			prefix,
			frappe.as_json({**LABELS[language], **args}),
		)
		print(f"\n  desk {name} ({language}): screenshots {prefix}-*.png", file=sys.stderr)
		self.assertTrue(result.get("ok"), result)
		self.assertEqual(result["errors"], [], "nothing from AFAS may run or become an element")
		record_attack(
			f"AFAS text with <img onerror>, <script>, <svg onload> in the desk: {name} ({language})",
			refused=True,
		)
		return result["facts"]

	def test_sync_logs_show_afas_messages_and_keys_as_text(self):
		for language in ("en", "nl"):
			facts = self.flow(
				"logs", language, push_log=self.push_log, run_log=self.run_log, mapping=self.mapping
			)
			for payload in (IMG, SCRIPT, SVG):
				self.assertIn(payload, facts["push_error"], language)
			self.assertIn(IMG, facts["push_detail"])
			self.assertIn(self.bad_key, facts["run_error"])
			self.assertIn(self.bad_key, facts["run_table"])

	def test_record_and_file_links_show_afas_keys_as_text(self):
		for language in ("en", "nl"):
			facts = self.flow("links", language, link=self.link, mapping=self.mapping)
			self.assertEqual(facts["form_key"], self.good_key)
			self.assertEqual(facts["form_title"], self.good_key, "the heading")
			self.assertIn(self.good_key, facts["list"], "the list's title column")
			self.assertIn(self.good_key, facts["report"], "the report view's cells")
			self.assertIn(f"A{SVG}{self.tag}", facts["file_list"], "a Data column of the list")

	def test_alert_bell_and_workspace_show_afas_text_as_text(self):
		for language in ("en", "nl"):
			facts = self.flow("alert", language, alert=self.alert)
			for payload in (IMG, SCRIPT, SVG):
				self.assertIn(payload, facts["message"], language)
			self.assertIn(self.mapping, facts["bell"])
			self.assertGreaterEqual(len(facts["cards"]), 3, "the workspace's number cards")

	def test_preview_dialog_and_connector_picker_show_afas_text_as_text(self):
		for language in ("en", "nl"):
			facts = self.flow("preview", language, mapping=self.preview_mapping, listed=self.listed)
			self.assertIn(self.good_key, facts["table"])
			self.assertIn(self.bad_key, facts["table"])
			self.assertIn(self.listed, facts["picker"], "AFAS's connector id")
			self.assertIn(f"Debiteuren {SVG}", facts["picker"], "and its description")
