"""Issue 4: inbound sync into real ERPNext Customers from the simulator."""

from __future__ import annotations

import time

import frappe

from afas_connector.devtools.samples import DEBTOR_TO_CUSTOMER
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	make_mapping,
	simulator,
)

DEBTORS = "ERP_Debtors"


def debtor_mapping(name: str, **extra):
	fields = {
		"direction": "Inbound",
		"afas_connector": DEBTORS,
		"erpnext_doctype": "Customer",
		"afas_key_field": "DebtorId",
		"modified_field": "Modified",
		"schedule": "Manual Only",
		"page_size": 10,
		"field_mappings": [dict(row) for row in DEBTOR_TO_CUSTOMER],
	}
	fields.update(extra)
	return make_mapping(name, **fields)


class TestInboundSync(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def setUp(self):
		self.name = "Test Inbound " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=35, seed=hash(self.name) % 1000)
		# Unique names per test, so Customers of earlier tests never collide with these.
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})
		self.mapping = debtor_mapping(self.name)

	def tearDown(self):
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")

	def run_sync(self, **kwargs):
		from afas_connector.binding.pull import sync_mapping

		log = sync_mapping(self.name, **kwargs)
		log.reload()
		return log

	def linked(self):
		return frappe.get_all(
			"AFAS Record Link", filters={"mapping": self.name}, fields=["afas_key", "reference_name"]
		)

	def test_first_sync_inserts_second_writes_nothing_change_updates_one(self):
		frappe.db.set_value("AFAS Connector Mapping", self.name, "overlap_seconds", 0)
		frappe.db.commit()
		time.sleep(1.1)  # the rows were renamed in setUp: let the run start in a later second
		log = self.run_sync()
		self.assertEqual(
			(log.status, log.rows_read, log.inserted, log.failed), ("Success", 35, 35, 0), log.error
		)
		links = self.linked()
		self.assertEqual(len(links), 35)
		self.assertEqual(len({link.afas_key for link in links}), 35)
		first = frappe.get_doc("Customer", links[0].reference_name)
		row = next(r for r in self.sim.rows(DEBTORS) if r["DebtorId"] == links[0].afas_key)
		self.assertEqual(first.customer_name, row["Name"].strip())
		self.assertEqual(first.disabled, 1 if row["Blocked"] else 0)

		modified_before = frappe.db.get_value("Customer", first.name, "modified")
		again = self.run_sync(full=True)
		self.assertEqual(
			(again.status, again.inserted, again.updated, again.unchanged), ("Success", 0, 0, 35)
		)
		self.assertEqual(frappe.db.get_value("Customer", first.name, "modified"), modified_before)

		self.sim.update_row(DEBTORS, links[0].afas_key, {"Name": "Hernoemd " + self.name})
		third = self.run_sync()
		self.assertEqual((third.updated, third.inserted), (1, 0))
		self.assertLess(third.rows_read, 35, "incremental: only rows since the watermark are read")
		self.assertEqual(
			frappe.db.get_value("Customer", first.name, "customer_name"), "Hernoemd " + self.name
		)
		self.assertEqual(len(self.linked()), 35)

	def test_failing_record_ends_partial_with_the_rest_written(self):
		bad = self.sim.rows(DEBTORS)[4]["DebtorId"]
		self.sim.update_row(DEBTORS, bad, {"Name": "   "})
		log = self.run_sync()
		self.assertEqual(log.status, "Partial")
		self.assertEqual((log.inserted, log.failed), (34, 1))
		errors = frappe.parse_json(log.record_errors)
		self.assertEqual(errors[0]["key"], bad)
		self.assertEqual(errors[0]["field"], "Name")
		self.assertIn("required", errors[0]["message"])

	def test_erpnext_validation_error_is_per_record(self):
		mapping = frappe.get_doc("AFAS Connector Mapping", self.name)
		mapping.append(
			"field_mappings",
			{
				"afas_field": "CreditLimit",
				"erpnext_field": "customer_group",
				"transform": "constant",
				"transform_options": "No Such Group",
			},
		)
		mapping.field_mappings = [
			r
			for r in mapping.field_mappings
			if not (r.erpnext_field == "customer_group" and r.transform_options == "All Customer Groups")
		]
		mapping.save()
		frappe.db.commit()
		log = self.run_sync()
		# Every row failed: the run failed, and says why in its first line (issue 12).
		self.assertEqual((log.status, log.inserted, log.failed), ("Failed", 0, 35))
		self.assertIn("No Such Group", log.record_errors)
		self.assertIn("No Such Group", log.error)

	def test_crash_mid_run_resumes_exactly_once(self):
		log = self.run_sync(max_pages=2)
		self.assertEqual((log.status, log.inserted), ("Partial", 20))
		self.assertIn("resumes", log.error)
		self.sim.faults.add(connector=DEBTORS, kind="drop", times=None)
		failed = self.run_sync()
		self.assertEqual(failed.status, "Failed")
		self.assertIn("Could not reach AFAS", failed.error)
		self.sim.faults.clear()
		self.sim.clear_requests()
		resumed = self.run_sync()
		self.assertEqual((resumed.status, resumed.inserted), ("Success", 15))
		first_query = [r for r in self.sim.requests if r.connector == DEBTORS][0].query
		self.assertIn("DebtorId", first_query.get("filterfieldids", "") + first_query.get("filterjson", ""))
		links = self.linked()
		self.assertEqual(len(links), 35)
		self.assertEqual(len({link.reference_name for link in links}), 35)

	def test_a_long_first_run_shows_share_done_and_time_left(self):
		"""Issue 18: a first run of several pages reports rows/s, the share done (read off the AFAS key
		range, asked once after a full first page) and the time left, for the desk and the CLI."""
		seen = []
		self.sim.clear_requests()
		log = self.run_sync(progress=seen.append)
		self.assertEqual((log.status, log.inserted), ("Success", 35))
		running = [p for p in seen if not p["finished"]]
		shares = [p["percent"] for p in running if p["percent"] is not None]
		self.assertTrue(shares, running)
		self.assertEqual(shares, sorted(shares), "the share done only grows")
		self.assertLess(shares[0], 100)
		self.assertTrue(any(p["seconds_left"] is not None for p in running))
		self.assertTrue(all(p["rows_per_second"] >= 0 for p in running))
		self.assertEqual(seen[-1]["percent"], 100.0)
		descending = [r for r in self.sim.requests if r.query.get("orderbyfieldids") == "-DebtorId"]
		self.assertEqual(len(descending), 1, "one call for the highest key, after the first page")
		self.sim.clear_requests()
		self.run_sync(progress=seen.append)  # incremental: no call more
		self.assertFalse([r for r in self.sim.requests if r.query.get("orderbyfieldids") == "-DebtorId"])

	def test_overlapping_runs_run_once(self):
		from afas_connector.binding.pull import AlreadyRunning, lock_key, sync_mapping

		lock = frappe.cache.lock(lock_key(self.name), timeout=60, blocking=False)
		self.assertTrue(lock.acquire())
		try:
			with self.assertRaises(AlreadyRunning):
				sync_mapping(self.name)
		finally:
			lock.release()
		self.assertEqual(self.run_sync().inserted, 35)

	def test_sync_now_queues_one_job(self):
		from afas_connector.api import sync_now

		first = sync_now(self.name)
		second = sync_now(self.name)
		self.assertTrue(first["queued"])
		self.assertFalse(second["queued"])
		from frappe.utils.background_jobs import get_job

		job = get_job(f"afas_inbound::{self.name}")
		self.assertIsNotNone(job)
		self.assertEqual(job.origin.split(":")[-1], "long")
		job.delete()

	def test_scheduler_tick_enqueues_due_mappings_only(self):
		from frappe.utils.background_jobs import get_job

		from afas_connector.binding.pull import enqueue_due_pulls

		frappe.db.set_value(
			"AFAS Connector Mapping",
			self.name,
			{"schedule": "Every N Minutes", "interval_minutes": 5, "last_run": None},
		)
		frappe.db.commit()
		self.assertIn(self.name, enqueue_due_pulls())
		self.assertNotIn(self.name, enqueue_due_pulls(), "already queued: not queued twice")
		get_job(f"afas_inbound::{self.name}").delete()
		frappe.db.set_value("AFAS Connector Mapping", self.name, "last_run", frappe.utils.now_datetime())
		frappe.db.commit()
		self.assertNotIn(self.name, enqueue_due_pulls())

	def test_inbound_writes_are_not_pushed_back(self):
		out = make_mapping(
			"Test Echo " + self.name[-6:],
			direction="Outbound",
			afas_connector="KnSalesRelationOrg",
			erpnext_doctype="Customer",
			afas_key_field="DbId",
			push_on_insert=1,
			push_on_update=1,
			field_mappings=[{"afas_field": "KnOrganisation.Nm", "erpnext_field": "customer_name"}],
		)
		try:
			log = self.run_sync()
			self.assertEqual(log.inserted, 35)
			self.assertEqual(frappe.db.count("AFAS Sync Log", {"mapping": out.name}), 0)
		finally:
			cleanup_mapping(out.name)

	def test_deletion_log_flags_without_deleting(self):
		mapping = frappe.get_doc("AFAS Connector Mapping", self.name)
		mapping.update(
			{
				"deletion_mode": "Deletion Log Connector",
				"deletion_connector": "ERP_Debtors_Deleted",
				"deletion_date_field": "DeletedAt",
			}
		)
		mapping.save()
		frappe.db.commit()
		self.run_sync()
		gone = self.linked()[0]
		self.sim.delete_row(DEBTORS, gone.afas_key)
		log = self.run_sync()
		self.assertEqual(log.flagged, 1, f"{log.status}: {log.error}")
		self.assertTrue(frappe.db.exists("Customer", gone.reference_name), "flagged, never deleted")
		self.assertEqual(
			frappe.db.get_value(
				"AFAS Record Link", {"mapping": self.name, "afas_key": gone.afas_key}, "missing_in_afas"
			),
			1,
		)

	def test_full_reconcile_flags_missing(self):
		frappe.db.set_value("AFAS Connector Mapping", self.name, "deletion_mode", "Full Reconcile")
		frappe.db.commit()
		self.run_sync()
		gone = self.linked()[3]
		self.sim.delete_row(DEBTORS, gone.afas_key)
		self.assertEqual(self.run_sync().flagged, 1)
		self.assertTrue(frappe.db.exists("Customer", gone.reference_name))
