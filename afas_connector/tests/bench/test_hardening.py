"""Issue 6: faults, bad input and secrets — nothing lost, nothing duplicated, no one gets in.

Each fault scenario adds a row to the summary table (scenario, records, lost, duplicated) that the
run prints at its end (``fixtures.record_scenario``), with the integrity scenarios of issue 12.
"""

from __future__ import annotations

import glob
import os
import subprocess

import frappe

from afas_connector.afas.filters import parse_filterjson
from afas_connector.devtools.samples import new_customer
from afas_connector.simulator import DEMO_TOKEN
from afas_connector.tests.bench.fixtures import (
	SECRETS,
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	record_scenario,
	restore_outbound,
	simulator,
	site_server,
)
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping

CONNECTOR = "KnSalesRelationOrg"
ROWS = 30


class TestInboundFaults(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim, timeout=2, max_attempts=2)
		self.name = "Test Fault " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=ROWS, seed=31)
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})
		debtor_mapping(self.name)

	def tearDown(self):
		self.sim.faults.clear()
		self.sim.restore_token()
		cleanup_mapping(self.name, "Customer")

	def sync(self):
		from afas_connector.binding.pull import sync_mapping

		log = sync_mapping(self.name)
		log.reload()
		return log

	def record(self, scenario: str) -> None:
		"""After recovery: every AFAS row is in ERPNext exactly once."""
		links = frappe.get_all(
			"AFAS Record Link", filters={"mapping": self.name}, fields=["afas_key", "reference_name"]
		)
		keys = [link.afas_key for link in links]
		expected = {r["DebtorId"] for r in self.sim.rows(DEBTORS)}
		lost = len(expected - set(keys))
		duplicated = len(keys) - len(set(keys)) + len(links) - len({link.reference_name for link in links})
		named = frappe.db.count("Customer", {"customer_name": ["like", f"% {self.name[-6:]}"]})
		duplicated += max(0, named - len(expected))
		record_scenario(scenario, len(expected), lost, duplicated)
		self.assertEqual((lost, duplicated), (0, 0), scenario)

	def test_unreachable_for_the_whole_run(self):
		configure(self.sim, base_url="http://127.0.0.1:9/ProfitRestServices", max_attempts=2)
		log = self.sync()
		self.assertEqual((log.status, log.inserted), ("Failed", 0))
		self.assertIn("Could not reach AFAS", log.error)
		configure(self.sim)
		self.assertEqual(self.sync().status, "Success")
		self.record("inbound: AFAS unreachable, then back")

	def test_maintenance_short_and_long(self):
		self.sim.faults.add(connector=DEBTORS, kind="maintenance", times=1, retry_after=1)
		self.assertEqual(self.sync().status, "Success")
		self.sim.faults.add(connector=DEBTORS, kind="maintenance", times=None, retry_after=7200)
		frappe.db.set_value("AFAS Connector Mapping", self.name, "sync_state", None)
		frappe.db.commit()
		log = self.sync()
		self.assertEqual(log.status, "Failed")
		self.assertIn("maintenance", log.error)
		self.assertIn("7200", log.error)
		self.assertEqual(
			len([r for r in self.sim.requests if r.status == 503]), 2, "a long outage is not waited out"
		)
		self.sim.faults.clear()
		self.sync()
		self.record("inbound: 503 retry_after 1 s, then 7200 s")

	def test_lock_errors(self):
		self.sim.faults.add(connector=DEBTORS, kind="lock", times=1)
		log = self.sync()
		self.assertEqual((log.status, log.inserted), ("Success", ROWS))
		self.record("inbound: lock 500, retried")

	def test_token_revoked_mid_run(self):
		from afas_connector.binding.pull import sync_mapping

		frappe.db.set_value("AFAS Connector Mapping", self.name, "page_size", 10)
		frappe.db.commit()
		first = sync_mapping(self.name, max_pages=1)
		self.sim.revoke_token()
		self.sim.clear_requests()
		log = self.sync()
		self.assertEqual(log.status, "Failed")
		self.assertIn("401", log.error)
		self.assertEqual(len(self.sim.requests), 1, "no retry storm on 401")
		self.assertTrue(first)
		self.sim.restore_token()
		self.assertEqual(self.sync().status, "Success")
		self.record("inbound: token revoked mid-run (401)")

	def test_malformed_and_truncated(self):
		configure(self.sim, max_attempts=3)
		self.sim.faults.add(connector=DEBTORS, kind="malformed", times=1)
		self.sim.faults.add(connector=DEBTORS, kind="truncated", times=1)
		self.assertEqual(self.sync().status, "Success")
		frappe.db.set_value("AFAS Connector Mapping", self.name, "sync_state", None)
		frappe.db.commit()
		self.sim.faults.add(connector=DEBTORS, kind="malformed", times=None)
		log = self.sync()
		self.assertEqual(log.status, "Failed")
		self.assertIn("not valid JSON", log.error)
		self.sim.faults.clear()
		self.sync()
		self.record("inbound: malformed + truncated answers")

	def test_slow_answers_hit_the_timeout(self):
		configure(self.sim, timeout=1, max_attempts=1)
		self.sim.faults.add(connector=DEBTORS, kind="latency", delay=1.5, times=None)
		log = self.sync()
		self.assertEqual(log.status, "Failed")
		self.assertIn("did not answer within 1 s", log.error)
		self.assertIn(self.sim.base_url, log.error)
		self.sim.faults.clear()
		configure(self.sim)
		self.sync()
		self.record("inbound: answers slower than the timeout")

	def test_worker_killed_mid_run(self):
		"""A crash between pages: the run's lock expires on its own and the next run resumes."""
		from afas_connector.binding.pull import LOCK_SECONDS, lock_key, sync_mapping

		frappe.db.set_value("AFAS Connector Mapping", self.name, "page_size", 10)
		frappe.db.commit()
		self.sim.faults.add(connector=DEBTORS, kind="drop", times=None)
		sync_mapping(self.name, max_pages=1)  # killed: the first page never arrives
		self.sim.faults.clear()
		sync_mapping(self.name, max_pages=2)  # the next worker gets two pages in, then dies
		from afas_connector.binding.pull import load_state

		state = load_state(frappe.get_doc("AFAS Connector Mapping", self.name))
		self.assertTrue(state.run_started and state.cursor)
		lock = frappe.cache.lock(lock_key(self.name), timeout=LOCK_SECONDS, blocking=False)
		self.assertTrue(lock.acquire())
		ttl = frappe.cache.ttl(lock_key(self.name))
		lock.release()
		self.assertTrue(0 < ttl <= LOCK_SECONDS, "a dead worker's lock expires")
		self.assertEqual(self.sync().status, "Success")
		self.record("inbound: worker killed mid-run, resumed")


class TestOutboundFaults(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim, max_attempts=2)
		self.sim.clear_requests()
		self.name = "Test Push Fault " + frappe.generate_hash(length=6)
		push_mapping(self.name)
		self.others = isolate_outbound(self.name)
		self.customers = []
		for i in range(5):
			doc = new_customer(f"Fault {self.name[-6:]} {i}")
			self.customers.append(doc.name)
		frappe.db.commit()

	def tearDown(self):
		self.sim.faults.clear()
		self.sim.restore_token()
		for name in self.customers:
			if frappe.db.exists("Customer", name):
				frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
		cleanup_mapping(self.name)
		restore_outbound(self.others)

	def push_all(self, now=None):
		from afas_connector.binding.push import push_pending

		return [push_pending(self.name, "Customer", name, now=now) for name in self.customers]

	def record(self, scenario: str) -> None:
		names = [
			p.body[CONNECTOR]["Element"]["Objects"][0]["KnOrganisation"]["Element"]["Fields"]["Nm"]
			for p in self.sim.requests
			if p.method == "POST" and p.connector == CONNECTOR and p.status == 201
		]
		expected = {f"Fault {self.name[-6:]} {i}" for i in range(5)}
		lost = len(expected - set(names))
		duplicated = len(names) - len(set(names))
		record_scenario(scenario, len(expected), lost, duplicated)
		self.assertEqual((lost, duplicated), (0, 0), scenario)

	def test_maintenance_during_push(self):
		from afas_connector.binding.outbox import sweep

		self.sim.faults.add(connector=CONNECTOR, kind="maintenance", times=None, retry_after=600)
		self.assertEqual(self.push_all(), [["Retrying"]] * 5)
		log = frappe.get_all(
			"AFAS Sync Log", filters={"mapping": self.name}, fields=["next_attempt", "error"], limit=1
		)[0]
		self.assertGreaterEqual(
			frappe.utils.time_diff_in_seconds(log.next_attempt, frappe.utils.now_datetime()), 590
		)
		self.assertIn("maintenance", log.error)
		self.sim.faults.clear()
		sweep(now=frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=1), inline=True)
		self.record("outbound: 503 retry_after 600 s, then swept")

	def test_token_revoked_during_push(self):
		self.sim.revoke_token()
		self.assertEqual(self.push_all(), [["Failed"]] * 5)
		# refused at the POST, or at the metainfo read before it when that is not cached: once per change
		self.assertEqual(
			len([r for r in self.sim.requests if r.status == 401]), 5, "one attempt each, no storm"
		)
		self.sim.restore_token()
		from afas_connector.api import retry_logs

		retry_logs()
		frappe.db.commit()
		self.push_all()
		self.record("outbound: token revoked (401), retried by hand")

	def test_worker_killed_mid_push(self):
		from afas_connector.binding.outbox import STALE_RUNNING_MINUTES, sweep

		logs = frappe.get_all("AFAS Sync Log", filters={"mapping": self.name}, pluck="name")
		old = frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-(STALE_RUNNING_MINUTES + 5))
		for name in logs:  # a worker marked them Running, then died before sending
			frappe.db.set_value(
				"AFAS Sync Log", name, {"status": "Running", "modified": old}, update_modified=False
			)
		frappe.db.commit()
		self.assertGreaterEqual(sweep(inline=True), 5)
		self.assertEqual(
			set(frappe.get_all("AFAS Sync Log", filters={"mapping": self.name}, pluck="status")), {"Success"}
		)
		self.record("outbound: worker killed mid-push, swept")


class TestBadInputAndSecrets(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		cls.server = site_server()
		cls.manager = api_user("afas-manager@example.com", ["AFAS Manager"])
		cls.name = "Test Bad Input " + frappe.generate_hash(length=4)
		debtor_mapping(cls.name)

	@classmethod
	def tearDownClass(cls):
		cleanup_mapping(cls.name, "Customer")
		super().tearDownClass()

	def setUp(self):
		frappe.cache.delete_keys("rl:")

	def call(self, method, http="POST", **params):
		return self.server.call(f"afas_connector.api.{method}", http, auth=self.manager, **params)

	def test_injection_in_filters_is_just_a_value(self):
		attack = "x'); DROP TABLE `tabCustomer`; --"
		frappe.db.set_value(
			"AFAS Connector Mapping", self.name, "filters", frappe.as_json([["Name", "=", attack]])
		)
		frappe.db.commit()
		self.sim.clear_requests()
		response = self.call("preview_mapping", "POST", mapping=self.name)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(response.json()["message"]["rows"], [])
		sent = [r for r in self.sim.requests if r.connector == DEBTORS][0]
		self.assertIn("filterjson", sent.query, "a value with ';' goes as filterjson")
		self.assertEqual(parse_filterjson(sent.query["filterjson"]).groups[0][0].value, attack)
		self.assertTrue(frappe.db.table_exists("Customer"))
		frappe.db.set_value("AFAS Connector Mapping", self.name, "filters", None)
		frappe.db.commit()

	def test_bad_arguments_give_clear_4xx_and_write_nothing(self):
		logs_before = frappe.db.count("AFAS Sync Log")
		cases = [
			("sync_now", "POST", {"mapping": "x" * 100_000}, 404),
			("sync_status", "GET", {"log": "no-such-log"}, 404),
			("push_document", "POST", {"doctype": "No Such DocType", "name": "x"}, 404),
			("push_document", "POST", {"doctype": "Customer", "name": "No Such Customer"}, 404),
			("retry_logs", "POST", {"names": '{"not": "a list"}'}, 417),
			("retry_logs", "POST", {"names": frappe.as_json(["x"] * 501)}, 417),
			("preview_mapping", "POST", {"mapping": self.name, "limit": "51"}, 417),
			("get_connector_fields", "GET", {"connector": "y" * 500, "kind": "get"}, 417),
			("fetch_fields", "POST", {"mapping": "No Such Mapping"}, 404),
		]
		for method, http, params, status in cases:
			response = self.call(method, http, **params)
			self.assertEqual(response.status_code, status, f"{method}: {response.text[:300]}")
			body = response.json()
			self.assertTrue(
				body.get("exc_type") or body.get("_server_messages"), f"{method}: {response.text[:300]}"
			)
		self.assertEqual(frappe.db.count("AFAS Sync Log"), logs_before)

	def test_token_is_nowhere_in_the_database_or_logs(self):
		from afas_connector.binding.connection import test_connection
		from afas_connector.binding.pull import sync_mapping

		test_connection()
		self.sim.faults.add(connector=DEBTORS, kind="unauthorized", times=1)
		sync_mapping(self.name)
		self.sim.faults.clear()
		sync_mapping(self.name)
		frappe.db.commit()
		conf = frappe.get_site_config()
		dump = subprocess.run(
			[
				"mysqldump",
				"-h",
				conf.db_host or "127.0.0.1",
				"-u",
				conf.db_name,
				f"-p{conf.db_password}",
				"--skip-extended-insert",
				conf.db_name,
			],
			capture_output=True,
			text=True,
			check=True,
		).stdout
		self.assertIn("tabAFAS Sync Log", dump)
		bench_dir = os.path.abspath(os.path.join(frappe.get_site_path(), "..", ".."))
		log_text = ""
		for path in glob.glob(os.path.join(bench_dir, "logs", "*.log")) + glob.glob(
			os.path.join(frappe.get_site_path("logs"), "*.log")
		):
			with open(path, errors="replace") as handle:
				log_text += handle.read()
		escaped = frappe.utils.escape_html(DEMO_TOKEN)
		for secret in (*SECRETS, escaped):
			self.assertNotIn(secret, dump)
			self.assertNotIn(secret, log_text)
