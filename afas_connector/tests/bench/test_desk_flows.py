"""Issue 15: the desk flows a user clicks, in headless Chromium against this site, in English and
Dutch. Each flow fails on a script error in the page, a 5xx answer or an error dialog, and leaves a
screenshot of its final state in ``desk_browser.SCREENSHOTS``.

A background worker is not part of a test site, so Sync Now's job is run by a thread of this test
that takes the run the desk queued (``run_pull_job`` with its Sync Log), as a worker would.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import frappe

from afas_connector.devtools.workers import wait_until
from afas_connector.tests.bench.desk_browser import DeskTestCase, run_flow
from afas_connector.tests.bench.fixtures import (
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	restore_outbound,
	tag_rows,
)

USERS = {"en": "afas-flows@example.com", "nl": "afas-flows-nl@example.com"}
#: What the flows click, in each language (the app's own labels are in translations/nl.csv).
LABELS = {
	"en": {
		"test_button": "Test Connection",
		"connected": "Connected",
		"afas_group": "AFAS",
		"fetch_item": "Fetch Fields from AFAS",
		"preview_item": "Preview",
		"sync_item": "Sync Now",
		"actions_label": "Actions",
		"retry_item": "Retry",
		"card": "Syncs Today",
		"calls_chart": "AFAS Calls",
		"left_word": "left",
		"rows_per_second": "rows/s",
	},
	"nl": {
		"test_button": "Verbinding testen",
		"connected": "Verbonden",
		"afas_group": "AFAS",
		"fetch_item": "Velden ophalen uit AFAS",
		"preview_item": "Voorbeeld",
		"sync_item": "Nu synchroniseren",
		"actions_label": "Acties",
		"retry_item": "Opnieuw proberen",
		"card": "Synchronisaties vandaag",
		"calls_chart": "AFAS-aanroepen",
		"left_word": "nog ongeveer",
		"rows_per_second": "rijen/s",
	},
}


class QueueRunner:
	"""Stands in for the long-queue worker: runs the inbound runs the desk queued (Queued Sync Logs of
	mappings named ``prefix…``), in a thread with its own database connection."""

	def __init__(self, prefix: str) -> None:
		self.prefix = prefix
		self.site = frappe.local.site
		self.stop = threading.Event()
		self.thread = threading.Thread(target=self.loop, daemon=True)
		self.thread.start()

	def loop(self) -> None:
		frappe.init(site=self.site)
		frappe.connect()
		frappe.set_user("Administrator")
		try:
			from afas_connector.binding.pull import run_pull_job

			while not self.stop.is_set():
				frappe.db.commit()  # a fresh snapshot
				for log in frappe.get_all(
					"AFAS Sync Log",
					filters={
						"direction": "Inbound",
						"status": "Queued",
						"mapping": ["like", f"{self.prefix}%"],
					},
					fields=["name", "mapping"],
				):
					run_pull_job(log.mapping, trigger="Manual", log=log.name)
				time.sleep(0.3)
		finally:
			frappe.destroy()

	def close(self) -> None:
		self.stop.set()
		self.thread.join(timeout=30)


class TestDeskFlows(DeskTestCase):
	# The flow makes an inbound Item mapping, which runs as its author: who may create Items (Security).
	desk_users: ClassVar = {
		user: (["AFAS Manager", "System Manager", "Item Manager"], language)
		for language, user in USERS.items()
	}

	def setUp(self):
		super().setUp()
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)

	def flow(self, flow_name: str, language: str = "en", **args) -> dict:
		return run_flow(self, self.server, USERS[language], language, flow_name, {**LABELS[language], **args})

	def test_settings_test_connection_lists_the_connectors(self):
		for language in ("en", "nl"):
			facts = self.flow("settings", language)
			self.assertEqual(facts["title"], LABELS[language]["connected"])
			self.assertIn("ERP_Debtors", facts["body"])
			self.assertIn("KnSalesRelationOrg", facts["body"])

	def test_a_mapping_from_scratch_to_a_finished_sync(self):
		name = f"Test Flow Items {self.token}"
		self.addCleanup(cleanup_mapping, name)
		runner = QueueRunner("Test Flow")
		self.addCleanup(runner.close)
		facts = self.flow(
			"new_mapping",
			name=name,
			doctype="Item",
			connector="ERP_Items",
			keep=["item_code", "description", "item_group", "disabled"],
			match="item_code",
		)
		self.assertIn("ERP_Items", facts["picker"])
		rows = {afas: (erpnext, transform) for afas, erpnext, transform in facts["rows"]}
		# AFAS's units ("stk") are not UOM names: no link suggested, and the dialog says why (issue 26 §3)
		self.assertNotIn("Unit", rows)
		self.assertIn("Default Unit of Measure", facts["fetch_dialog"])  # mandatory, so named
		self.assertEqual(rows["Blocked"], ("disabled", "boolean"))
		self.assertEqual((facts["key_field"], facts["modified_field"]), ("ItemCode", "Modified"))
		self.assertGreater(facts["preview_rows"], 0)
		self.assertIn(facts["sync_status"], ("Success", "Partial", "Failed"))
		self.assertEqual(facts["progress_width"], "100%")
		log = facts["log_link"].rsplit("/", 1)[-1]
		status = frappe.db.get_value("AFAS Sync Log", log, "status")
		self.assertEqual(facts["sync_status"], status, "the dialog shows the run's own final status")

	def test_sync_now_shows_the_pace_and_time_left_of_a_long_run(self):
		"""Issue 18: a first run of several pages, AFAS answering each page in 0.8 s: the Sync Now
		dialog shows rows/s, the share done (the bar) and the time left while the run goes on."""
		from afas_connector.tests.bench.test_inbound_sync import debtor_mapping

		for language in ("en", "nl"):
			name = f"Test Flow Pace {language} {self.token}"
			self.addCleanup(cleanup_mapping, name, "Customer")
			self.sim.generate_rows("ERP_Debtors", n=60, seed=7)
			tag_rows(self.sim, "ERP_Debtors", "DebtorId", name[-9:])
			debtor_mapping(name, page_size=6)
			self.sim.faults.add(connector="ERP_Debtors", kind="latency", delay=0.8, times=None)
			self.addCleanup(self.sim.faults.clear)
			runner = QueueRunner(name)
			self.addCleanup(runner.close)
			facts = self.flow("sync_progress", language, name=name)
			labels = LABELS[language]
			self.assertIn(labels["rows_per_second"], facts["running_text"])
			self.assertIn(labels["left_word"], facts["running_text"])
			width = float(facts["running_width"].rstrip("%"))
			self.assertTrue(0 < width < 100, facts["running_width"])
			self.assertNotIn(facts["running_status"], ("Success", "Failed"))
			finished = wait_until(
				lambda name=name: frappe.db.exists(
					"AFAS Sync Log", {"mapping": name, "status": ["in", ("Success", "Partial", "Failed")]}
				),
				120,
			)
			self.assertTrue(finished, "the run goes on to its end after the dialog showed its pace")

	def test_retry_from_the_list_and_a_read_only_log(self):
		mapping = f"Test Flow Push {self.token}"
		self.addCleanup(cleanup_mapping, mapping)
		push_mapping(mapping)
		self.addCleanup(restore_outbound, isolate_outbound(mapping))
		from afas_connector.binding.push import push_pending
		from afas_connector.devtools.samples import new_customer

		customer = new_customer(f"Flow {self.token} B.V.")
		self.addCleanup(frappe.delete_doc, "Customer", customer.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		self.sim.faults.add(connector="KnSalesRelationOrg", kind="validation", times=1, method="POST")
		self.assertEqual(push_pending(mapping, "Customer", customer.name), ["Failed"])
		log, title = frappe.db.get_value("AFAS Sync Log", {"mapping": mapping}, ["name", "title"])
		facts = self.flow("retry", log=log, title=title)
		self.assertIn("1", facts["alert"])
		self.assertEqual(facts["status"], "Queued")
		self.assertEqual(facts["save_button"], 0, "a log is read-only")

	def test_record_errors_as_a_table_with_names_kept_whole(self):
		from afas_connector.binding.sync_log import create_log, finish_log

		log = create_log(mapping=None, direction="Inbound", status="Running", commit=True)
		errors = [{"key": "10001", "field": "Name", "message": "Jansen <Holding> & Co is not allowed here"}]
		finish_log(log, "Failed", failed=1, record_errors=frappe.as_json(errors), error="1 row failed")
		self.addCleanup(frappe.db.delete, "AFAS Sync Log", {"name": log.name})
		facts = self.flow("log_form", log=log.name)
		self.assertIn("Jansen <Holding> & Co is not allowed here", facts["table"])
		self.assertEqual(facts["save_button"], 0)
		self.assertEqual(facts["visible_payload"], 0, "no outbound fields on an inbound log")

	def test_the_workspace_shows_its_cards_and_charts(self):
		for language in ("en", "nl"):
			facts = self.flow("workspace", language)
			self.assertEqual(len(facts["cards"]), 5, facts)  # syncs, failures, queue, background jobs, alerts
			self.assertEqual(len(facts["charts"]), 3, facts)  # runs, failures, AFAS calls
			self.assertIn(LABELS[language]["calls_chart"], facts["charts"])
			self.assertIn(LABELS[language]["card"].lower(), " ".join(facts["cards"]).lower())
