"""Issue 15, the server side of the desk: API answers in the caller's terms, a dead AFAS that answers
the desk in seconds, messages that keep their meaning, a preview that runs the real checks, progress
within a page, and the demo's rough edges."""

from __future__ import annotations

import json
import socket

import frappe

from afas_connector.devtools.samples import DEBTOR_TO_CUSTOMER
from afas_connector.simulator import AfasSimulator
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	make_mapping,
	simulator,
	site_server,
	tag_rows,
)
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping

MANAGER = "afas-desk-api@example.com"


class TestAPIAnswers(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		cls.auth = api_user(MANAGER, ["AFAS Manager", "System Manager"])
		cls.server = site_server()

	def call(self, method, http="POST", **params):
		return self.server.call(f"afas_connector.api.{method}", http, auth=self.auth, **params)

	@staticmethod
	def message(response) -> str:
		messages = json.loads(response.json().get("_server_messages") or "[]")
		return " ".join(json.loads(m).get("message", "") for m in messages)

	def test_every_missing_argument_is_a_4xx_that_names_it(self):
		for method, http, argument in [
			("sync_now", "POST", "mapping"),
			("fetch_fields", "POST", "mapping"),
			("preview_mapping", "POST", "mapping"),
			("retry_log", "POST", "name"),
			("resolve_log", "POST", "name"),
			("dismiss_failed_rows", "POST", "mapping"),
			("push_document", "POST", "doctype"),
			("get_connector_fields", "GET", "connector"),
			("suggest_fields", "GET", "connector"),
		]:
			response = self.call(method, http)
			self.assertEqual(response.status_code, 417, f"{method}: {response.text[:300]}")
			self.assertIn(f"{argument} is required", self.message(response), method)

	def test_not_found_answers_say_what_was_not_found(self):
		for method, http, params, text in [
			(
				"sync_now",
				"POST",
				{"mapping": "No Such Mapping"},
				"AFAS Connector Mapping No Such Mapping not found",
			),
			("retry_log", "POST", {"name": "nope"}, "AFAS Sync Log nope not found"),
			("sync_status", "GET", {"log": "nope"}, "AFAS Sync Log nope not found"),
			("push_document", "POST", {"doctype": "Customer", "name": "nope"}, "Customer nope not found"),
		]:
			response = self.call(method, http, **params)
			self.assertEqual(response.status_code, 404, f"{method}: {response.text[:300]}")
			self.assertIn(text, self.message(response), method)

	def test_sync_status_labels_its_time_zones(self):
		name = "Test Zones " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, name, "Customer")
		debtor_mapping(name)
		from afas_connector.binding.pull import sync_mapping

		sync_mapping(name)
		status = self.call("sync_status", "GET", mapping=name).json()["message"]
		self.assertEqual(status["watermark_time_zone"], "Europe/Amsterdam")
		self.assertEqual(status["time_zone"], frappe.utils.get_system_timezone())
		self.assertRegex(status["watermark"], r"[+-]\d\d:\d\d$", "the watermark carries its offset")


class TestDeadAFAS(IntegrationTestCase):
	def test_the_desk_gets_an_answer_in_one_short_attempt(self):
		"""AFAS accepts the connection and never answers: the desk's Test Connection makes one attempt
		with the interactive deadline, not Max Attempts × Timeout (133 s before)."""
		from afas_connector.binding.connection import INTERACTIVE_TIMEOUT, test_connection

		silent = socket.socket()
		silent.bind(("127.0.0.1", 0))
		silent.listen(8)  # accepts, never answers
		self.addCleanup(silent.close)
		self.addCleanup(configure, simulator())
		configure(
			simulator(),
			base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/ProfitRestServices",
			timeout=2,
			max_attempts=4,
		)
		result = test_connection()
		self.assertFalse(result["ok"])
		self.assertIn("did not answer within 2 s", result["message"])
		self.assertLessEqual(2, INTERACTIVE_TIMEOUT)
		connections = 0
		silent.settimeout(0.2)
		try:
			while True:
				silent.accept()[0].close()
				connections += 1
		except OSError:
			pass
		self.assertEqual(connections, 1, "one attempt, no retries, for a call the desk waits on")


class TestReadableMessages(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.name = "Test Words " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, self.name, "Customer")

	def test_a_row_error_keeps_angle_brackets_and_its_reason(self):
		from afas_connector.binding.pull import sync_mapping

		self.sim.generate_rows(DEBTORS, n=2, seed=5)
		first, second = (r["DebtorId"] for r in self.sim.rows(DEBTORS))
		self.sim.update_row(DEBTORS, first, {"Name": "Jansen <Holding> & Co " + self.name[-6:]})
		self.sim.update_row(DEBTORS, second, {"Name": "X" * 300})
		rows = [dict(r) for r in DEBTOR_TO_CUSTOMER]
		make_mapping(
			self.name,
			direction="Inbound",
			afas_connector=DEBTORS,
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			schedule="Manual Only",
			field_mappings=rows,
		)
		log = sync_mapping(self.name)
		log.reload()
		errors = {e["key"]: e["message"] for e in json.loads(log.record_errors)}
		self.assertIn("<", errors[str(first)], errors)  # ERPNext's own message names the characters
		self.assertIn("140", errors[str(second)], "the reason after a long value survives")
		self.assertLessEqual(len(errors[str(second)]), 500)


class TestPreviewRunsTheRealChecks(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.name = "Test Preview " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		self.sim.generate_rows(DEBTORS, n=6, seed=9)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.name[-6:])

	def preview(self, **kwargs):
		from afas_connector.api import preview_mapping

		return preview_mapping(self.name, limit=10, **kwargs)

	def test_links_and_mandatory_fields_fail_in_the_preview_as_in_a_run(self):
		rows = [dict(r) for r in DEBTOR_TO_CUSTOMER]
		for row in rows:
			if row["erpnext_field"] == "customer_group":
				row["transform_options"] = "No Such Group"
		rows = [r for r in rows if r["erpnext_field"] != "territory"]
		debtor_mapping(self.name, field_mappings=rows)
		before = frappe.db.count("Customer")
		preview = self.preview()
		self.assertEqual({r["action"] for r in preview["rows"]}, {"fail"})
		self.assertIn("No Such Group", preview["rows"][0]["errors"][0]["message"])
		self.assertEqual(frappe.db.count("Customer"), before, "nothing was written")
		from afas_connector.binding.pull import sync_mapping

		log = sync_mapping(self.name)
		log.reload()
		self.assertEqual(log.failed, 6, "the run fails the same rows the preview said")

	def test_the_preview_reads_what_the_next_run_reads(self):
		debtor_mapping(self.name)
		self.assertEqual([r["action"] for r in self.preview()["rows"]], ["insert"] * 6)
		from afas_connector.binding.pull import sync_mapping

		sync_mapping(self.name)
		preview = self.preview()
		self.assertTrue(preview["since"], "from the watermark")
		self.assertEqual(preview["rows"], [], "rows older than the watermark are not shown")
		self.assertEqual({r["action"] for r in self.preview(full=1)["rows"]}, {"unchanged"})


class TestProgressWithinAPage(IntegrationTestCase):
	def test_a_large_page_reports_progress_while_it_is_written(self):
		from afas_connector.binding.pull import PROGRESS_ROWS, sync_mapping

		sim = simulator()
		configure(sim)
		name = "Test Progress " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, name, "Customer")
		sim.generate_rows(DEBTORS, n=PROGRESS_ROWS * 2 + 10, seed=13)
		tag_rows(sim, DEBTORS, "DebtorId", name[-6:])
		debtor_mapping(name, page_size=1000)
		seen = []
		sync_mapping(name, progress=lambda data: seen.append((data["pages"], data["done"], data["finished"])))
		within = [
			done for pages, done, finished in seen if not finished and 0 < done < PROGRESS_ROWS * 2 + 10
		]
		self.assertEqual(within, [PROGRESS_ROWS, PROGRESS_ROWS * 2], seen)


class TestDemoRoughEdges(IntegrationTestCase):
	def test_a_busy_port_is_a_sentence_not_a_traceback(self):
		from afas_connector.devtools.demo import DemoError, run_demo

		with AfasSimulator(port=0) as busy:
			with self.assertRaises(DemoError) as info:
				run_demo(port=busy.port, echo=lambda text: None)
		self.assertIn(f"Port {busy.port} on 127.0.0.1 is in use", str(info.exception))

	def test_extra_rows_are_added_to_the_demo_debtors_and_read_by_the_next_run(self):
		from afas_connector.devtools.demo import add_generated_debtors

		with AfasSimulator(port=0) as sim:
			before = {r["DebtorId"] for r in sim.rows(DEBTORS)}
			add_generated_debtors(sim, 20)
			after = {r["DebtorId"]: r for r in sim.rows(DEBTORS)}
			self.assertLessEqual(before, set(after), "the demo debtors stay")
			self.assertEqual(len(after), len(before) + 20)
			new = [after[k]["Modified"] for k in set(after) - before]
			old = [after[k]["Modified"] for k in before]
			self.assertGreater(min(new), max(old), "stamped now: newer than any demo debtor")
