"""Issue 18, AFAS fair use: calls, rows and bytes per connector per day (AFAS Usage), shown in the
workspace chart and ``sync_status``; a mapping's Daily Call Budget defers scheduled runs.

Each test class uses an AFAS environment id of its own, so its usage rows are its own."""

from __future__ import annotations

import json
import random
import threading
from unittest.mock import patch

import frappe
from frappe.utils import add_days, now_datetime

from afas_connector.afas.client import Exchange
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	simulator,
	tag_rows,
)
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping

USAGE = "AFAS Usage"


def used(connector: str | None = None) -> dict:
	"""Today's usage in the current environment, read in a fresh transaction (the counts are committed
	on a connection of their own, after this one's snapshot may have been taken)."""
	from afas_connector.binding.connection import environment
	from afas_connector.binding.usage import usage_today

	frappe.db.commit()
	found = usage_today(environment())
	return found.get(connector, {"calls": 0, "rows": 0, "bytes": 0}) if connector else found


class Watched:
	"""Every exchange the connector's clients count, seen on the way (the counting itself runs)."""

	def __init__(self) -> None:
		from afas_connector.binding.usage import ClientUsage

		self.exchanges: list[Exchange] = []
		original = ClientUsage.count

		def count(usage, exchange):
			self.exchanges.append(exchange)
			original(usage, exchange)

		self._patch = patch.object(ClientUsage, "count", count)

	def __enter__(self) -> Watched:
		self._patch.start()
		return self

	def __exit__(self, *exc) -> None:
		self._patch.stop()

	def of(self, connector: str) -> dict:
		mine = [e for e in self.exchanges if e.connector == connector]
		return {"calls": len(mine), "rows": sum(e.rows for e in mine), "bytes": sum(e.bytes for e in mine)}


class UsageCase(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim, environment_id=str(random.randint(60000, 69999)))
		from afas_connector.binding.connection import environment

		cls.env = environment()

	@classmethod
	def tearDownClass(cls):
		frappe.db.delete(USAGE, {"environment": cls.env})
		frappe.db.commit()
		configure(cls.sim)
		super().tearDownClass()

	def setUp(self):
		self.name = "Test Usage " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=35, seed=hash(self.name) % 1000)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.name[-6:])
		self.mapping = debtor_mapping(self.name)

	def tearDown(self):
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")


class TestCounting(UsageCase):
	def test_an_inbound_run_is_counted_as_its_exchanges(self):
		from afas_connector.binding.pull import sync_mapping

		before = used()
		self.sim.clear_requests()
		with Watched() as watched:
			log = sync_mapping(self.name, full=True)
		self.assertEqual((log.status, log.rows_read), ("Success", 35), log.error)
		after = used()
		for connector in {e.connector for e in watched.exchanges}:
			grown = {
				k: after[connector][k] - before.get(connector, {}).get(k, 0)
				for k in ("calls", "rows", "bytes")
			}
			self.assertEqual(grown, watched.of(connector), connector)
		gets = [r for r in self.sim.requests if r.method == "GET" and r.connector == DEBTORS]
		self.assertEqual(watched.of(DEBTORS)["calls"], len(gets))
		# the rows AFAS sent: the 35 debtors, and the highest key a run from the start asks for its time left
		highest = [r for r in gets if r.query.get("orderbyfieldids") == "-DebtorId"]
		self.assertEqual(len(highest), 1)
		self.assertEqual(watched.of(DEBTORS)["rows"], 35 + len(highest))
		self.assertGreater(watched.of(DEBTORS)["bytes"], 35 * 50)

	def test_two_clients_add_up_and_only_their_own_thread_writes(self):
		from afas_connector.binding.connection import get_client

		before = used(DEBTORS)
		first, second = get_client(), get_client()
		first.get_page(DEBTORS, take=5, order_by="DebtorId")
		second.get_page(DEBTORS, take=7, order_by="DebtorId")
		second.get_page(DEBTORS, take=1, order_by="DebtorId")
		self.assertEqual(used(DEBTORS), before, "nothing is written per call")
		first.close()
		second.close()
		after = used(DEBTORS)
		self.assertEqual((after["calls"] - before["calls"], after["rows"] - before["rows"]), (3, 13))

		third = get_client()
		fed = threading.Thread(target=lambda: third.get_page(DEBTORS, take=2, order_by="DebtorId"))
		fed.start()
		fed.join()
		closer = threading.Thread(target=third.close)
		closer.start()
		closer.join()
		self.assertEqual(used(DEBTORS), after, "another thread's close keeps the counts")
		third.close()
		self.assertEqual(used(DEBTORS)["calls"], after["calls"] + 1)
		self.assertEqual(used(DEBTORS)["rows"], after["rows"] + 2)

	def test_a_failed_call_counts_and_the_callers_rollback_keeps_it(self):
		from afas_connector.afas import AfasError
		from afas_connector.binding.connection import get_client

		before = used(DEBTORS)
		self.sim.faults.add(connector=DEBTORS, kind="lock", times=None)
		with self.assertRaises(AfasError), get_client() as client:
			client.get_page(DEBTORS, take=5, order_by="DebtorId")
		frappe.db.rollback()
		self.assertEqual(used(DEBTORS)["calls"], before["calls"] + 3)  # max_attempts = 3

	def test_sync_status_shows_today_per_connector_and_the_mappings_budget(self):
		from afas_connector.api import sync_status
		from afas_connector.binding.pull import sync_mapping

		sync_mapping(self.name, full=True)
		frappe.db.set_value("AFAS Connector Mapping", self.name, "daily_call_budget", 500)
		mine = used(DEBTORS)
		self.assertGreater(mine["calls"], 0)
		self.assertEqual(sync_status()["usage_today"][DEBTORS], mine)
		self.assertEqual(
			sync_status(mapping=self.name)["usage_today"],
			{"connector": DEBTORS, **mine, "daily_call_budget": 500},
		)

	def test_old_days_are_cleared_by_log_settings(self):
		from afas_connector.afas.usage import Usage
		from afas_connector.afas_connector.doctype.afas_usage.afas_usage import AFASUsage
		from afas_connector.binding.usage import row_name, store, today

		old = add_days(today(), -401)
		store({(old, DEBTORS): Usage(1, 2, 3)}, self.env)
		self.assertTrue(frappe.db.exists(USAGE, row_name(old, self.env, DEBTORS)))
		self.assertIn(USAGE, frappe.get_hooks("default_log_clearing_doctypes"))
		AFASUsage.clear_old_logs(days=400)
		self.assertFalse(frappe.db.exists(USAGE, row_name(old, self.env, DEBTORS)))
		self.assertTrue(frappe.db.exists(USAGE, {"environment": self.env, "date": today()}))


class TestBudget(UsageCase):
	def setUp(self):
		super().setUp()
		frappe.db.set_value(
			"AFAS Connector Mapping",
			self.name,
			{"schedule": "Every N Minutes", "interval_minutes": 5, "last_run": None},
		)
		frappe.db.commit()

	def tearDown(self):
		from frappe.utils.background_jobs import get_job

		job = get_job(f"afas_inbound::{self.name}")
		if job:
			job.delete()
		super().tearDown()

	def deferrals(self) -> list:
		return frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": self.name, "status": "Deferred"},
			fields=["direction", "trigger", "error", "environment"],
		)

	def test_a_scheduled_run_over_budget_is_deferred_once_a_day_and_sync_now_still_runs(self):
		from afas_connector.api import sync_now
		from afas_connector.binding.connection import get_client
		from afas_connector.binding.monitoring import mapping_facts
		from afas_connector.binding.pull import enqueue_due_pulls, sync_mapping

		with get_client() as client:  # another mapping's (or the desk's) calls count too
			client.get_page(DEBTORS, take=1, order_by="DebtorId")
		calls = used(DEBTORS)["calls"]
		frappe.db.set_value("AFAS Connector Mapping", self.name, "daily_call_budget", calls)
		frappe.db.commit()

		self.assertNotIn(self.name, enqueue_due_pulls())
		self.assertNotIn(self.name, enqueue_due_pulls(), "still over budget")
		frappe.db.commit()
		(deferral,) = self.deferrals()
		self.assertEqual(
			(deferral.direction, deferral.trigger, deferral.environment), ("Inbound", "Scheduler", self.env)
		)
		self.assertEqual(
			deferral.error,
			f"Deferred: {calls} calls to {DEBTORS} today reach the daily call budget of {calls}; "
			"the next run after midnight",
		)
		facts = next(m for m in mapping_facts() if m.name == self.name)
		self.assertGreater(facts.expected_since, now_datetime(), "a deferred mapping is not late today")

		log = sync_mapping(self.name, trigger="Manual")
		self.assertEqual(log.status, "Success", log.error)
		self.assertEqual(log.rows_read, 35)
		self.assertTrue(sync_now(self.name)["queued"], "Sync Now is not held back by the budget")

	def test_under_budget_or_without_one_runs(self):
		from frappe.utils.background_jobs import get_job

		from afas_connector.binding.pull import enqueue_due_pulls

		calls = used(DEBTORS)["calls"]
		frappe.db.set_value("AFAS Connector Mapping", self.name, "daily_call_budget", calls + 1)
		frappe.db.commit()
		self.assertIn(self.name, enqueue_due_pulls())
		get_job(f"afas_inbound::{self.name}").delete()
		frappe.db.set_value("AFAS Connector Mapping", self.name, "daily_call_budget", 0)
		frappe.db.commit()
		self.assertIn(self.name, enqueue_due_pulls())
		self.assertEqual(self.deferrals(), [])


class TestDesk(IntegrationTestCase):
	def test_the_calls_chart_sums_usage_per_day_in_the_workspace(self):
		chart = frappe.get_doc("Dashboard Chart", "AFAS Calls")
		self.assertEqual(
			(chart.document_type, chart.chart_type, chart.value_based_on, chart.based_on),
			(USAGE, "Sum", "calls", "date"),
		)
		workspace = frappe.get_doc("Workspace", "AFAS")
		self.assertIn("AFAS Calls", [c.chart_name for c in workspace.charts])
		blocks = json.loads(workspace.content)
		self.assertIn("AFAS Calls", [b["data"].get("chart_name") for b in blocks if b["type"] == "chart"])

		from frappe.desk.doctype.dashboard_chart.dashboard_chart import get

		data = get(chart_name="AFAS Calls", refresh=1)
		today_calls = sum(
			frappe.get_all(USAGE, filters={"date": frappe.utils.nowdate()}, pluck="calls") or [0]
		)
		self.assertEqual(data["datasets"][0]["values"][-1], today_calls)

		manager = "afas-usage-manager@example.com"
		api_user(manager, ["AFAS Manager"])
		self.assertTrue(frappe.has_permission(USAGE, "read", user=manager))
		self.assertFalse(frappe.has_permission(USAGE, "write", user=manager))
		self.assertTrue(frappe.has_permission("Dashboard Chart", "read", doc=chart, user=manager))
