"""Issue 24 §4–§6: the last ways to lose or double a record. A write interrupted after it left is
Outcome Unknown; one AFAS record is one document within a page too; a field-map edit made while a
run goes on reaches every row; a document deleted in ERPNext stays deleted unless the mapping says
otherwise; a dead run blocks nothing; and the messages say what happened. Each test failed on the
main branch before the fix.
"""

from __future__ import annotations

import json
import os
import signal
import time
from unittest import mock

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.fixtures import (
	ITEMS,
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	isolate_outbound,
	make_mapping,
	new_sales_order,
	push_mapping,
	record_scenario,
	restore_outbound,
	sales_masters,
	simulator,
	tag_rows,
)
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping
from afas_connector.tests.bench.test_integrity import (
	DEBTOR,
	LINK,
	LOG,
	MAPPING,
	DebtorPair,
	links,
	pull,
	push,
)


def log_of(mapping: str, name: str) -> str:
	return frappe.get_all(LOG, {"mapping": mapping, "reference_name": name}, pluck="name")[0]


class TestAWriteInterrupted(DebtorPair):
	"""§4: any interruption once a POST has left the process leaves its outcome unknown."""

	def new_customer(self, label: str):
		customer = new_customer(f"{label} {self.token} B.V.")
		frappe.db.commit()
		return customer, log_of(self.outbound, customer.name)

	def assert_never_resent(self, log: str, cause: str) -> None:
		from afas_connector.api import retry_log

		frappe.db.rollback()  # a fresh snapshot
		status, error = frappe.db.get_value(LOG, log, ["status", "error"])
		self.assertEqual(status, "Outcome Unknown", error)
		self.assertIn("AFAS may already hold this record", error)
		self.assertIn(cause, error)
		retried = retry_log(log)
		self.assertEqual(retried["queued"], 0, retried)
		self.assertEqual(len(self.sent("POST")), 1, "the POST was never sent again")

	def test_a_job_timeout_mid_post_is_outcome_unknown(self):
		"""AFAS answers the POST after 4 s, the job's timeout is 2 s (RQ's own death penalty, the signal
		RQ raises JobTimeoutException with): AFAS stores the debtor; the log must not say Failed."""
		from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

		customer, log = self.new_customer("Timeout")
		before = len(self.sim.rows(DEBTORS))
		self.sim.faults.add(connector=DEBTOR, kind="latency", delay=4, method="POST", times=1)
		with self.assertRaises(JobTimeoutException):  # raised again: the job stops as RQ asked
			with UnixSignalDeathPenalty(2, JobTimeoutException, job_id="afas-test-push"):
				push(self.outbound, "Customer", customer.name)
		time.sleep(3)
		self.assertEqual(len(self.sim.rows(DEBTORS)), before + 1, "AFAS saved the debtor")
		self.assert_never_resent(log, "JobTimeoutException")
		record_scenario("push: job timeout mid-POST", 1, 0, len(self.sent("POST")) - 1)

	def test_a_signal_mid_post_is_outcome_unknown(self):
		"""The process is told to stop (SystemExit from a signal handler) while AFAS works on the POST."""

		def stop(signum, frame):
			raise SystemExit("stopped by a signal")

		customer, log = self.new_customer("Signal")
		self.sim.faults.add(connector=DEBTOR, kind="latency", delay=3, method="POST", times=1)
		previous = signal.signal(signal.SIGALRM, stop)
		signal.alarm(1)
		try:
			with self.assertRaises(SystemExit):
				push(self.outbound, "Customer", customer.name)
		finally:
			signal.alarm(0)
			signal.signal(signal.SIGALRM, previous)
		time.sleep(3)
		self.assert_never_resent(log, "SystemExit")

	def test_an_error_after_afas_answered_is_outcome_unknown(self):
		"""AFAS made the debtor and answered its key; recording it failed here: not a plain Failed."""
		customer, log = self.new_customer("After")
		with mock.patch(
			"afas_connector.binding.push.link_document", side_effect=RuntimeError("the database went away")
		):
			self.assertEqual(push(self.outbound, "Customer", customer.name), ["Outcome Unknown"])
		self.assert_never_resent(log, "RuntimeError")

	def test_a_put_interrupted_mid_call_is_simply_sent_again(self):
		"""A PUT sets the same values again: interrupted, it is retried, never left Failed."""
		from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

		pull(self.inbound)
		link = links(self.inbound)[0]
		customer = frappe.get_doc("Customer", link.reference_name)
		customer.tax_id = "NL000000007B01"
		customer.save()
		frappe.db.commit()
		self.sim.faults.add(connector=DEBTOR, kind="latency", delay=3, method="PUT", times=1)
		with self.assertRaises(JobTimeoutException):
			with UnixSignalDeathPenalty(1, JobTimeoutException, job_id="afas-test-put"):
				push(self.outbound, "Customer", customer.name)
		frappe.db.rollback()
		log = frappe.get_all(
			LOG, {"mapping": self.outbound, "reference_name": customer.name}, pluck="name", limit=1
		)[0]
		self.assertEqual(frappe.db.get_value(LOG, log, "status"), "Retrying")


class TestOneDocumentPerRecordWithinAPage(IntegrationTestCase):
	"""§5: two AFAS debtors of one name on one page, matched by customer_name (as the README advises)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Twins {self.token}"
		self.sim.generate_rows(DEBTORS, n=6, seed=61)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		rows = self.sim.rows(DEBTORS)
		self.twin = f"Twin {self.token} B.V."
		for row in rows[2:4]:
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": self.twin, "Modified": row["Modified"]})
		self.keys = [str(r["DebtorId"]) for r in rows[2:4]]
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name, erpnext_key_field="customer_name")

	def test_a_document_claimed_earlier_in_the_page_is_claimed(self):
		log = pull(self.name)
		self.assertEqual((log.inserted, log.updated, log.failed), (5, 0, 1), log.record_errors)
		self.assertEqual(log.status, "Partial")
		errors = json.loads(log.record_errors)
		self.assertEqual([e["key"] for e in errors], [self.keys[1]])
		self.assertIn(f"is already AFAS record {self.keys[0]}", errors[0]["message"])
		twins = frappe.get_all("Customer", {"customer_name": self.twin}, pluck="name")
		self.assertEqual(len(twins), 1)
		self.assertEqual(
			[link.afas_key for link in links(self.name, reference_name=twins[0])], [self.keys[0]]
		)
		record_scenario("two records of one name, one page", 6, 0, 0)


class TestFieldMapEditedDuringARun(IntegrationTestCase):
	"""§6: a field-map edit made while a run goes on reaches every row the run wrote."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Edit {self.token}"
		self.sim.generate_rows(DEBTORS, n=35, seed=67)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name)  # 10 rows a page: 4 pages

	def edit(self, change) -> None:
		doc = frappe.get_doc(MAPPING, self.name)  # as the desk would: the mapping as it is now
		change(doc)
		doc.save()
		frappe.db.commit()

	@staticmethod
	def add_city(doc) -> None:
		doc.append("field_mappings", {"afas_field": "City", "erpnext_field": "customer_details"})

	@staticmethod
	def city_upper(doc) -> None:
		row = next(r for r in doc.field_mappings if r.afas_field == "City")
		row.transform = "upper"

	def after_first_page(self, change):
		done = []

		def progress(data):
			if data["pages"] == 1 and not data["finished"] and not done:
				done.append(1)
				self.edit(change)

		return progress

	def pending(self) -> int:
		frappe.db.rollback()
		return frappe.db.get_value(MAPPING, self.name, "full_sync_pending")

	def details(self) -> dict[str, str]:
		return {
			c.customer_name: c.customer_details
			for c in frappe.get_all(
				"Customer",
				{"customer_name": ["like", f"%{self.token}"]},
				["customer_name", "customer_details"],
			)
		}

	def expected(self, transform=lambda city: city) -> dict[str, str]:
		return {r["Name"]: transform(r["City"]) for r in self.sim.rows(DEBTORS)}

	def test_an_edit_during_the_first_run_reaches_the_rows_it_wrote(self):
		first = pull(self.name, progress=self.after_first_page(self.add_city))
		self.assertEqual(first.inserted, 35)
		self.assertTrue(self.pending(), "the first run's rows were written with the old field map")
		self.assertIn("changed during this run", first.error)
		again = pull(self.name)
		self.assertEqual((again.rows_read, again.updated), (35, 35))
		self.assertFalse(self.pending())
		self.assertEqual(self.details(), self.expected())

	def test_an_edit_during_a_full_resync_is_not_cleared_by_its_end(self):
		self.assertEqual(pull(self.name).inserted, 35)
		self.edit(self.add_city)
		self.assertTrue(self.pending())
		resync = pull(self.name, progress=self.after_first_page(self.city_upper))
		self.assertEqual(resync.rows_read, 35)
		self.assertTrue(self.pending(), "the second edit has reached no row yet")
		last = pull(self.name)
		self.assertEqual((last.rows_read, last.updated), (35, 35))
		self.assertFalse(self.pending())
		self.assertEqual(self.details(), self.expected(str.upper))

	def test_a_full_resync_resumed_after_an_edit_starts_over(self):
		self.assertEqual(pull(self.name).inserted, 35)
		self.edit(self.add_city)
		pull(self.name, max_pages=2)  # stopped half-way (a crash, or max_pages)
		self.edit(self.city_upper)
		pull(self.name)
		self.assertFalse(self.pending())
		self.assertEqual(self.details(), self.expected(str.upper), "the first pages too")


class TestDeletedInERPNext(IntegrationTestCase):
	"""§6: a Customer a user deletes in ERPNext, its AFAS debtor unchanged."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Deleted {self.token}"
		self.sim.generate_rows(DEBTORS, n=6, seed=71)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name)
		self.addCleanup(restore_outbound, isolate_outbound())  # only the delete in ERPNext matters here

	def delete_one(self):
		link = links(self.name)[0]
		frappe.delete_doc("Customer", link.reference_name, force=True, ignore_permissions=True)
		frappe.db.commit()
		return link

	def choose(self, choice: str) -> None:
		doc = frappe.get_doc(MAPPING, self.name)
		doc.on_erpnext_delete = choice
		doc.save()
		frappe.db.commit()

	def test_it_stays_deleted_by_default_and_comes_back_when_chosen(self):
		field = frappe.get_meta(MAPPING).get_field("on_erpnext_delete")
		self.assertEqual(
			(field.default, field.hidden, field.options.split("\n")[0]), ("Keep Deleted", 0, "Keep Deleted")
		)
		pull(self.name)
		link = self.delete_one()
		full = pull(self.name, full=True)  # as after a mapping edit
		self.assertEqual((full.inserted, full.unchanged), (0, 6))
		self.assertIn("left deleted", full.error)
		self.assertFalse(frappe.db.exists("Customer", link.reference_name))
		tombstone = frappe.db.get_value(LINK, link.name, ["deleted_in_erpnext", "note"], as_dict=True)
		self.assertEqual(tombstone.deleted_in_erpnext, 1)
		self.assertIn("Keep Deleted", tombstone.note)
		self.assertIsNone(frappe.db.get_value(LINK, {"name": link.name, "deleted_in_erpnext": 0}))
		self.choose("Bring Back")
		back = pull(self.name)  # not a full run: the tombstones are read again by key
		self.assertEqual(back.inserted, 1)
		again = frappe.db.get_value(LINK, link.name, ["deleted_in_erpnext", "reference_name"], as_dict=True)
		self.assertEqual(again.deleted_in_erpnext, 0)
		self.assertTrue(frappe.db.exists("Customer", again.reference_name))
		record_scenario("deleted in ERPNext, kept deleted, brought back", 6, 0, 0)

	def test_unlink_forgets_the_record_until_a_run_reads_it(self):
		self.choose("Unlink")
		pull(self.name)
		link = self.delete_one()
		self.assertFalse(frappe.db.exists(LINK, link.name))
		self.assertEqual(pull(self.name).inserted, 0, "AFAS did not change it")
		self.assertEqual(pull(self.name, full=True).inserted, 1)


class TestRunLocks(IntegrationTestCase):
	"""§6: a run's lock lives while it works and dies with its worker."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Lock {self.token}"
		self.sim.generate_rows(DEBTORS, n=35, seed=73)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name)
		self.addCleanup(self.sim.faults.clear)

	def test_a_long_foreground_run_keeps_its_lock(self):
		"""A run longer than its lock's life (here 1 s instead of a minute): no second run overlaps it."""
		from afas_connector.binding import pull as pull_module
		from afas_connector.binding.pull import AlreadyRunning, sync_mapping

		tried = []

		def progress(data):
			if data["pages"] == 1 and not data["finished"] and not tried:
				time.sleep(3)
				try:
					sync_mapping(self.name, trigger="Scheduler")
					tried.append("ran alongside")
				except AlreadyRunning:
					tried.append("refused")

		with mock.patch.object(pull_module, "LOCK_SECONDS", 1):
			log = pull(self.name, progress=progress)
		self.assertEqual(tried, ["refused"])
		self.assertEqual((log.status, log.inserted), ("Success", 35))

	def test_a_run_whose_worker_died_blocks_nothing(self):
		"""Sync Now, the worker is killed mid-run, Sync Now again: a new run, not the dead one."""
		from afas_connector.api import sync_now
		from afas_connector.binding.pull import lock_key
		from afas_connector.devtools.workers import kill_worker, start_workers, stop_workers, wait_until

		self.sim.faults.add(connector=DEBTORS, kind="latency", delay=2, times=None)
		first = sync_now(self.name)
		self.assertTrue(first["queued"])
		workers = start_workers(1, queue="long")
		self.addCleanup(stop_workers, workers)
		running = wait_until(
			lambda: (frappe.db.get_value(LOG, first["log"], "rows_read") or 0) >= 10, timeout=90
		)
		self.assertTrue(running, frappe.db.get_value(LOG, first["log"], ["status", "error"]))
		# The run works in RQ's work horse, a process of its own session: the crash takes both down.
		holder = frappe.cache.get(lock_key(self.name)).decode()
		os.kill(int(holder.rsplit("|", 1)[1]), signal.SIGKILL)
		kill_worker(workers[0])
		second = sync_now(self.name)
		self.assertTrue(second["queued"], second["message"])
		self.assertNotEqual(second["log"], first["log"])
		status, error = frappe.db.get_value(LOG, first["log"], ["status", "error"])
		self.assertEqual(status, "Failed")
		self.assertIn("stopped without finishing", error)
		self.sim.faults.clear()
		workers += start_workers(1, queue="long")
		done = wait_until(
			lambda: frappe.db.get_value(LOG, second["log"], "status") not in ("Queued", "Running"),
			timeout=120,
		)
		self.assertTrue(done)
		self.assertEqual(frappe.db.get_value(LOG, second["log"], "status"), "Success")
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.name}), 35, "resumed where it stopped")
		record_scenario(
			"inbound: worker killed, Sync Now again",
			35,
			35 - frappe.db.count(LINK, {"mapping": self.name}),
			0,
		)


class TestMessages(IntegrationTestCase):
	"""§6: messages that said the wrong thing."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		sales_masters()

	def setUp(self):
		self.token = frappe.generate_hash(length=6)

	def test_a_cancelled_order_sent_and_deleted_in_afas_is_not_called_never_sent(self):
		from afas_connector.api import push_document
		from afas_connector.devtools.samples import sales_order_mapping

		customers, orders = f"Test Msg Debtors {self.token}", f"Test Msg Orders {self.token}"
		self.addCleanup(cleanup_mapping, customers)
		push_mapping(customers)
		self.addCleanup(cleanup_mapping, orders)
		spec = sales_order_mapping(customers)
		del spec["mapping_name"]
		make_mapping(orders, **spec)
		self.addCleanup(restore_outbound, isolate_outbound(customers, orders))
		customer = new_customer(f"Msg {self.token} B.V.")
		self.assertEqual(push(customers, "Customer", customer.name), ["Success"])
		order = new_sales_order(customer.name, [(ITEMS[0], 2, 10.0)])
		self.assertEqual(push(orders, "Sales Order", order.name), ["Success"])
		order.reload()
		order.cancel()  # On Delete / Cancel: Delete in AFAS
		self.assertEqual(push(orders, "Sales Order", order.name), ["Success"])
		self.assertEqual(
			[r.method for r in self.sim.requests if r.connector == "FbSales"], ["POST", "DELETE"]
		)
		with self.assertRaises(frappe.ValidationError) as info:
			push_document("Sales Order", order.name)
		message = str(info.exception)
		self.assertIn("was deleted from AFAS already", message)
		self.assertNotIn("never sent", message)

	def test_push_without_read_rights_says_why(self):
		from afas_connector.api import push_document
		from afas_connector.binding.constants import MANAGER_ROLE

		email = f"afas-noread-{self.token}@example.com"
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": "No Read", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
		user.add_roles(MANAGER_ROLE)
		self.addCleanup(frappe.delete_doc, "User", email, force=True, ignore_permissions=True)
		customer = new_customer(f"Hidden {self.token} B.V.")
		self.addCleanup(frappe.delete_doc, "Customer", customer.name, force=True, ignore_permissions=True)
		self.assertFalse(frappe.has_permission("Customer", "read", doc=customer, user=email))
		frappe.set_user(email)
		try:
			with self.assertRaises(frappe.PermissionError) as info:
				push_document("Customer", customer.name)
		finally:
			frappe.set_user("Administrator")
		self.assertIn(f"may not read Customer {customer.name}", str(info.exception))

	def test_a_name_taken_gets_a_numbered_customer_and_the_log_says_so(self):
		"""No match rule, an AFAS debtor named as a Customer already in ERPNext: ERPNext's own rule names
		the new one "X - 1" (two companies may share a name); the log says so, and how to adopt instead."""
		name = f"Test Taken {self.token}"
		self.addCleanup(cleanup_mapping, name, "Customer")
		self.addCleanup(restore_outbound, isolate_outbound())
		self.sim.generate_rows(DEBTORS, n=3, seed=79)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		first = self.sim.rows(DEBTORS)[0]
		existing = new_customer(first["Name"])
		self.addCleanup(frappe.delete_doc, "Customer", existing.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		debtor_mapping(name)
		log = pull(name)
		self.assertEqual((log.status, log.inserted), ("Success", 3))
		numbered = f"{existing.name} - 1"
		self.assertTrue(frappe.db.exists("Customer", numbered))
		self.assertIn("numbered name", log.error)
		self.assertIn(numbered, log.error)
		self.assertIn("Match Existing By", log.error)
