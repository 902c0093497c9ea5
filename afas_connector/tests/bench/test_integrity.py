"""Issue 12: nothing lost, nothing doubled. One identity per record whichever direction wrote it, no
blind resends of a write whose outcome is unknown, a push sends the document as it is now, failed
rows are read again, existing records are adopted, AFAS environments are kept apart, and logs tell
the truth. Every scenario adds a row to the fault suite's summary (records, lost, duplicated).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.simulator import AfasSimulator
from afas_connector.tests.bench.fixtures import (
	COMPANY,
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

DEBTOR = "KnSalesRelationOrg"
LINK = "AFAS Record Link"
LOG = "AFAS Sync Log"
MAPPING = "AFAS Connector Mapping"


def pull(name: str, **kwargs):
	from afas_connector.binding.pull import sync_mapping

	log = sync_mapping(name, **kwargs)
	log.reload()
	return log


def push(mapping: str, doctype: str, name: str) -> list[str]:
	from afas_connector.binding.push import push_pending

	frappe.db.commit()
	return push_pending(mapping, doctype, name)


def links(scope: str, **filters) -> list:
	return frappe.get_all(
		LINK,
		filters={"mapping": scope, **filters},
		fields=[
			"name",
			"afas_key",
			"reference_name",
			"merged_away",
			"environment",
			"note",
			"deleted_in_erpnext",
		],
	)


class DebtorPair(IntegrationTestCase):
	"""An inbound debtors → Customer mapping and a paired outbound Customer → KnSalesRelationOrg."""

	ROWS = 6

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.inbound = f"Test Pair In {self.token}"
		self.outbound = f"Test Pair Out {self.token}"
		self.sim.faults.clear()
		self.sim.clear_requests()
		self.sim.generate_rows(DEBTORS, n=self.ROWS, seed=hash(self.token) % 1000)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.token)
		self.addCleanup(cleanup_mapping, self.inbound, "Customer")
		debtor_mapping(self.inbound)
		self.addCleanup(cleanup_mapping, self.outbound)
		push_mapping(self.outbound, link_with=self.inbound, push_on_trash=1)
		self.addCleanup(restore_outbound, isolate_outbound(self.outbound))
		self.addCleanup(self.delete_customers)

	def delete_customers(self):
		for name in frappe.get_all("Customer", {"customer_name": ["like", f"%{self.token}%"]}, pluck="name"):
			frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def customers(self) -> list[str]:
		return frappe.get_all("Customer", {"customer_name": ["like", f"%{self.token}%"]}, pluck="name")

	def sent(self, method: str) -> list:
		return [r for r in self.sim.requests if r.connector == DEBTOR and r.method == method]

	def record(self, scenario: str) -> None:
		"""Every AFAS debtor is one Customer, with one link, or a tombstone (its Customer deleted by a
		user, left deleted); every other link points at a Customer."""
		debtors = {str(r["DebtorId"]) for r in self.sim.rows(DEBTORS)}
		tombstones = {link.afas_key for link in links(self.inbound) if link.deleted_in_erpnext}
		active = [
			link for link in links(self.inbound) if not link.merged_away and not link.deleted_in_erpnext
		]
		keys = [link.afas_key for link in active]
		lost = len(debtors - set(keys) - tombstones)
		duplicated = (len(keys) - len(set(keys))) + max(0, len(self.customers()) - len(debtors - tombstones))
		dangling = [link for link in active if not frappe.db.exists("Customer", link.reference_name)]
		record_scenario(scenario, len(debtors), lost, duplicated + len(dangling))
		self.assertEqual((lost, duplicated, dangling), (0, 0, []), scenario)


class TestOneIdentity(DebtorPair):
	def test_a_pushed_customer_comes_back_as_itself_and_is_updated_in_place(self):
		pull(self.inbound)
		customer = new_customer(f"Pair {self.token} B.V.")
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		key = links(self.inbound, reference_name=customer.name)[0].afas_key
		log = pull(self.inbound)
		self.assertEqual((log.status, log.inserted), ("Success", 0), "the debtor AFAS made is that Customer")
		self.assertEqual(len(self.customers()), self.ROWS + 1)
		customer.reload()
		customer.tax_id = "NL000000001B01"
		customer.save()
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		self.assertEqual(len(self.sent("POST")), 1)
		self.assertEqual(self.sent("PUT")[-1].body[DEBTOR]["Element"]["@DbId"], key)
		self.assertEqual(pull(self.inbound).inserted, 0)
		self.record("pair: pushed, read back, edited")

	def test_a_customer_from_afas_edited_in_erpnext_is_a_put_to_its_debtor(self):
		pull(self.inbound)
		link = links(self.inbound)[0]
		customer = frappe.get_doc("Customer", link.reference_name)
		customer.tax_id = "NL000000002B01"
		customer.save()
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		self.assertEqual(self.sent("POST"), [], "never POSTed as a new debtor")
		self.assertEqual(self.sent("PUT")[0].body[DEBTOR]["Element"]["@DbId"], link.afas_key)
		self.record("pair: read in, edited, pushed")

	def test_a_pairing_that_reads_two_ways_is_refused(self):
		with self.assertRaises(frappe.ValidationError) as info:
			make_mapping(
				f"Test Pair Bad {self.token}",
				**{**self.supplier_mapping(), "link_with": self.inbound},
			)
		self.assertIn("maps Customer, not Supplier", str(info.exception))
		with self.assertRaises(frappe.ValidationError) as info:
			push_mapping(f"Test Pair Chain {self.token}", link_with=self.outbound)
		self.assertIn(f"itself shares the records of {self.inbound}", str(info.exception))

	def supplier_mapping(self):
		return {
			"direction": "Outbound",
			"afas_connector": "KnPurchaseRelationOrg",
			"erpnext_doctype": "Supplier",
			"afas_key_field": "CrId",
			"field_mappings": [{"afas_field": "KnOrganisation.Nm", "erpnext_field": "supplier_name"}],
		}


class TestMergeRenameDelete(DebtorPair):
	def test_merge_keeps_one_link_per_document_and_flags_the_other(self):
		pull(self.inbound)
		first, second = links(self.inbound)[:2]
		frappe.rename_doc("Customer", first.reference_name, second.reference_name, merge=True, force=True)
		frappe.db.commit()
		on_target = links(self.inbound, reference_name=second.reference_name)
		self.assertEqual([link.afas_key for link in on_target if not link.merged_away], [second.afas_key])
		flagged = [link for link in on_target if link.merged_away]
		self.assertEqual([link.afas_key for link in flagged], [first.afas_key])
		self.assertIn("merge or block it in AFAS", flagged[0].note)
		target = frappe.get_doc("Customer", second.reference_name)
		target.tax_id = "NL000000003B01"
		target.save()
		self.assertEqual(push(self.outbound, "Customer", target.name), ["Success"])
		self.assertEqual([r.body[DEBTOR]["Element"]["@DbId"] for r in self.sent("PUT")], [second.afas_key])
		name_before = target.customer_name
		self.sim.update_row(DEBTORS, int(first.afas_key), {"Name": f"Changed in AFAS {self.token}"})
		pull(self.inbound)
		self.assertEqual(frappe.db.get_value("Customer", target.name, "customer_name"), name_before)

	def test_a_rename_that_changes_what_is_sent_is_pushed(self):
		customer = new_customer(f"Rename {self.token} B.V.")
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		key = links(self.inbound, reference_name=customer.name)[0].afas_key
		new_name = f"Renamed {self.token} B.V."
		frappe.rename_doc("Customer", customer.name, new_name, force=True)
		self.assertEqual(frappe.db.get_value("Customer", new_name, "customer_name"), new_name)
		self.assertEqual(push(self.outbound, "Customer", new_name), ["Success"])
		element = self.sent("PUT")[-1].body[DEBTOR]["Element"]
		self.assertEqual(element["@DbId"], key)
		self.assertEqual(element["Objects"][0]["KnOrganisation"]["Element"]["Fields"]["Nm"], new_name)
		self.assertEqual([link.afas_key for link in links(self.inbound, reference_name=new_name)], [key])

	def test_a_link_never_points_at_nothing(self):
		pull(self.inbound)
		gone, hard = links(self.inbound)[:2]
		isolate = isolate_outbound()  # a delete that is not pushed: the link must still go
		frappe.delete_doc("Customer", gone.reference_name, force=True, ignore_permissions=True)
		restore_outbound(isolate)
		frappe.db.sql("delete from `tabCustomer` where name=%s", hard.reference_name)  # behind the app's back
		frappe.db.commit()
		# When Deleted in ERPNext = Keep Deleted (the default): the link stays only as a tombstone.
		left = links(self.inbound, reference_name=gone.reference_name)
		self.assertEqual([(link.afas_key, link.deleted_in_erpnext) for link in left], [(gone.afas_key, 1)])
		log = pull(self.inbound, full=True)
		self.assertEqual(
			(log.inserted, log.unchanged),
			(1, self.ROWS - 1),
			"the one deleted behind the app's back is recreated, not 'unchanged'; the user's delete stands",
		)
		self.record("deleted in ERPNext, full run")


class TestOutcomeUnknown(DebtorPair):
	def test_a_push_killed_mid_post_is_never_resent_blindly(self):
		"""A real worker process is killed while AFAS holds its POST; AFAS stores the debtor anyway."""
		from afas_connector.api import resolve_log, retry_log
		from afas_connector.binding.outbox import STALE_RUNNING_MINUTES, sweep

		pull(self.inbound)
		customer = new_customer(f"Killed {self.token} B.V.")
		frappe.db.commit()
		log = frappe.get_all(LOG, {"mapping": self.outbound, "reference_name": customer.name}, pluck="name")[
			0
		]
		before = len(self.sim.rows(DEBTORS))
		self.sim.faults.add(connector=DEBTOR, kind="latency", delay=4, method="POST", times=1)
		site, sites = frappe.local.site, os.path.abspath(frappe.local.sites_path)
		worker = subprocess.Popen(
			[
				sys.executable,
				"-c",
				f"import frappe; frappe.init(site={site!r}, sites_path={sites!r}); frappe.connect();"
				f"from afas_connector.binding.push import process_log; process_log({log!r})",
			],
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		deadline = time.monotonic() + 30
		while frappe.db.get_value(LOG, log, "status") != "Running" and time.monotonic() < deadline:
			time.sleep(0.2)
			frappe.db.commit()  # a fresh snapshot of the worker's commits
		time.sleep(1)
		worker.kill()  # the worker dies while AFAS is still working on its POST
		worker.wait()
		time.sleep(4)
		self.assertEqual(len(self.sim.rows(DEBTORS)), before + 1, "AFAS saved the debtor")
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value(LOG, log, "http_method"), "POST", "the write-ahead mark")
		later = frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=STALE_RUNNING_MINUTES + 1)
		sweep(now=later, inline=True)
		sweep(now=frappe.utils.add_to_date(later, hours=3), inline=True)
		status, error = frappe.db.get_value(LOG, log, ["status", "error"])
		self.assertEqual(status, "Outcome Unknown")
		self.assertIn("AFAS may already hold this record", error)
		self.assertEqual(len(self.sent("POST")), 1, "the sweeper sent nothing again")
		retried = retry_log(log)
		self.assertEqual(retried["queued"], 0)
		self.assertIn("AFAS may already hold", retried["skipped"][0]["reason"])
		self.assertEqual(len(self.sent("POST")), 1)
		with self.assertRaises(frappe.ValidationError) as info:
			resolve_log(log, afas_key="999999")
		self.assertIn("AFAS has no record with DebtorId 999999", str(info.exception))
		key = str(next(r["DebtorId"] for r in self.sim.rows(DEBTORS) if r["Name"] == customer.customer_name))
		self.assertEqual(resolve_log(log, afas_key=key)["status"], "Success")
		customer.reload()
		customer.tax_id = "NL000000004B01"
		customer.save()
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		self.assertEqual(len(self.sent("POST")), 1)
		self.assertEqual(self.sent("PUT")[-1].body[DEBTOR]["Element"]["@DbId"], key)
		self.assertEqual(pull(self.inbound).inserted, 0)
		self.record("push killed mid-POST, resolved by link")

	def test_send_again_is_a_decision_the_user_makes(self):
		from afas_connector.api import resolve_log

		customer = new_customer(f"Lost {self.token} B.V.")
		self.sim.faults.add(connector=DEBTOR, kind="drop", times=1, method="POST")
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Outcome Unknown"])
		customer.reload()
		customer.tax_id = "NL000000005B01"
		customer.save()
		self.assertEqual(push(self.outbound, "Customer", customer.name), [], "later changes wait behind it")
		log = frappe.get_all(LOG, {"mapping": self.outbound, "status": "Outcome Unknown"}, pluck="name")[0]
		self.assertEqual(resolve_log(log, resend=1)["status"], "Queued")
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success", "Success"])
		self.assertEqual(
			[r.method for r in self.sim.requests if r.connector == DEBTOR], ["POST", "POST", "PUT"]
		)


class TestCancelledDocuments(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		sales_masters()

	def setUp(self):
		token = frappe.generate_hash(length=6)
		self.customers = f"Test Cancel Debtors {token}"
		self.orders = f"Test Cancel Orders {token}"
		self.addCleanup(cleanup_mapping, self.customers)
		push_mapping(self.customers)
		self.addCleanup(cleanup_mapping, self.orders)
		from afas_connector.devtools.samples import sales_order_mapping

		spec = sales_order_mapping(self.customers)
		del spec["mapping_name"]
		make_mapping(self.orders, **spec)
		self.addCleanup(restore_outbound, isolate_outbound(self.customers, self.orders))
		self.customer = new_customer(f"Cancel {token} B.V.")
		self.assertEqual(push(self.customers, "Customer", self.customer.name), ["Success"])

	def tearDown(self):
		self.sim.faults.clear()

	def test_a_cancelled_order_is_never_created_in_afas(self):
		from afas_connector.api import push_document, retry_logs

		self.sim.faults.add(connector="FbSales", kind="validation", times=1, method="POST")
		order = new_sales_order(self.customer.name, [(ITEMS[0], 2, 10.0)])
		self.assertEqual(push(self.orders, "Sales Order", order.name), ["Failed"])
		order.reload()
		order.cancel()  # cancel: nothing to delete in AFAS, the order never got there
		frappe.db.commit()
		self.assertEqual(push(self.orders, "Sales Order", order.name), ["Success"])
		failed = frappe.get_all(LOG, {"mapping": self.orders, "status": "Failed"}, pluck="name")
		result = retry_logs(json.dumps(failed))  # as "Retry" on the selected logs in the list
		skipped = {s["log"]: s["reason"] for s in result["skipped"]}
		self.assertTrue(failed and all("Cancelled in ERPNext" in skipped[name] for name in failed), skipped)
		self.assertIn("skipped", result["message"])
		with self.assertRaises(frappe.ValidationError) as info:
			push_document("Sales Order", order.name)
		self.assertIn("cancelled and was never sent to AFAS", str(info.exception))
		from afas_connector.binding.outbox import queue_change

		queue_change(order, "on_update", self.orders, trigger="Manual")  # however a push was started
		self.assertEqual(push(self.orders, "Sales Order", order.name), ["Success"])
		self.assertEqual([r for r in self.sim.requests if r.connector == "FbSales" and r.status < 400], [])
		notes = frappe.get_all(LOG, {"mapping": self.orders, "status": "Success"}, pluck="error")
		self.assertTrue(any("Cancelled in ERPNext before it reached AFAS" in (n or "") for n in notes))
		self.assertEqual(frappe.db.get_value("Sales Order", order.name, "company"), COMPANY)


class TestFailedRowsAndAdoption(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Creditors {self.token}"
		self.sim.generate_rows("ERP_Creditors", n=20, seed=hash(self.token) % 1000)
		tag_rows(self.sim, "ERP_Creditors", "CreditorId", self.token)
		for i, row in enumerate(self.sim.rows("ERP_Creditors")):  # AFAS's country codes, not ERPNext's names
			code = ("NL", "BE", "DE")[i % 3]
			self.sim.update_row(
				"ERP_Creditors", row["CreditorId"], {"CountryId": code, "Modified": row["Modified"]}
			)
		self.addCleanup(cleanup_mapping, self.name, "Supplier")
		self.countries = []
		self.addCleanup(self.delete_countries)

	def delete_countries(self):
		for name in self.countries:
			frappe.delete_doc("Country", name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def creditors(self, country_rows=None):
		rows = [
			{"afas_field": "Name", "erpnext_field": "supplier_name", "required": 1},
			{
				"afas_field": "Group",
				"erpnext_field": "supplier_group",
				"transform": "constant",
				"transform_options": "All Supplier Groups",
			},
			*(country_rows or [{"afas_field": "CountryId", "erpnext_field": "country"}]),
		]
		return make_mapping(
			self.name,
			direction="Inbound",
			afas_connector="ERP_Creditors",
			erpnext_doctype="Supplier",
			afas_key_field="CreditorId",
			modified_field="Modified",
			schedule="Manual Only",
			field_mappings=rows,
		)

	def test_rows_that_failed_are_read_again_after_the_data_is_fixed(self):
		from afas_connector.api import retry_log

		self.creditors()
		log = pull(self.name)
		self.assertEqual((log.status, log.rows_read, log.failed), ("Failed", 20, 20), "every row failed")
		self.assertIn("Could not find Country", log.error)
		self.assertEqual(len(json.loads(log.record_errors)), 20)
		codes = sorted({r["CountryId"] for r in self.sim.rows("ERP_Creditors")})
		for code in codes:  # the fix: the countries the rows point at now exist in ERPNext
			if not frappe.db.exists("Country", code):
				frappe.get_doc({"doctype": "Country", "country_name": code, "code": code.lower()}).insert(
					ignore_permissions=True
				)
				self.countries.append(code)
		frappe.db.commit()
		self.assertEqual(retry_log(log.name)["queued"], 1)  # re-runs the mapping (a job); run it here
		again = pull(self.name)
		self.assertEqual((again.status, again.inserted), ("Success", 20), again.error)
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.name}), 20)
		self.assertEqual(pull(self.name).rows_read, 0, "read once, then left alone")
		record_scenario("failed rows read again after a fix", 20, 20 - again.inserted, 0)

	def test_a_changed_field_map_reaches_the_records_already_synced(self):
		mapping = self.creditors(
			[
				{
					"afas_field": "CountryId",
					"erpnext_field": "country",
					"transform": "value_map",
					"transform_options": json.dumps({"*": "Netherlands"}),
				}
			]
		)
		self.assertEqual(pull(self.name).inserted, 20)
		mapping.reload()
		mapping.append("field_mappings", {"afas_field": "City", "erpnext_field": "supplier_details"})
		mapping.save()
		frappe.db.commit()
		self.assertTrue(frappe.db.get_value(MAPPING, self.name, "full_sync_pending"))
		log = pull(self.name)
		self.assertEqual((log.rows_read, log.updated), (20, 20))
		self.assertIn("field mapping changed", log.error)
		self.assertFalse(frappe.db.get_value(MAPPING, self.name, "full_sync_pending"))
		cities = {r["City"] for r in self.sim.rows("ERP_Creditors")}
		details = set(
			frappe.get_all(
				"Supplier", {"supplier_name": ["like", f"%{self.token}"]}, pluck="supplier_details"
			)
		)
		self.assertEqual(details, cities)

	def test_existing_items_are_adopted_not_collided_with(self):
		items = f"Test Items {self.token}"
		self.addCleanup(cleanup_mapping, items)
		for row in self.sim.rows("ERP_Items"):
			if not frappe.db.exists("Item", row["ItemCode"]):
				frappe.get_doc(
					{
						"doctype": "Item",
						"item_code": row["ItemCode"],
						"item_name": row["Description"],
						"item_group": "All Item Groups",
						"stock_uom": "Nos",
						"is_stock_item": 0,
					}
				).insert(ignore_permissions=True)
		frappe.db.commit()
		spec = {
			"direction": "Inbound",
			"afas_connector": "ERP_Items",
			"erpnext_doctype": "Item",
			"afas_key_field": "ItemCode",
			"modified_field": "Modified",
			"schedule": "Manual Only",
			"field_mappings": [
				{"afas_field": "ItemCode", "erpnext_field": "item_code", "required": 1},
				{"afas_field": "Description", "erpnext_field": "item_name"},
				{
					"afas_field": "ItemGroup",
					"erpnext_field": "item_group",
					"transform": "constant",
					"transform_options": "All Item Groups",
				},
			],
		}
		make_mapping(items, **spec)
		log = pull(items)
		count = len(self.sim.rows("ERP_Items"))
		self.assertEqual(log.failed, count)
		self.assertNotIn("IntegrityError", log.record_errors)
		self.assertNotIn("1062", log.record_errors)
		self.assertIn("Match Existing By", log.record_errors)
		make_mapping(items, **{**spec, "erpnext_key_field": "item_code"})
		log = pull(items)
		self.assertEqual((log.status, log.inserted, log.updated), ("Success", 0, count), log.record_errors)
		self.assertEqual(frappe.db.count(LINK, {"mapping": items}), count)
		# Two ERPNext documents fit one AFAS row: a clear error naming both, no guess.
		twin = f"Twin {self.token}"
		for code in (f"TW1-{self.token}", f"TW2-{self.token}"):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": twin,
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert(ignore_permissions=True)
		self.sim.add_rows(
			"ERP_Items",
			[{**self.sim.rows("ERP_Items")[0], "ItemCode": f"NEW-{self.token}", "Description": twin}],
		)
		self.addCleanup(frappe.db.delete, "Item", {"item_name": twin})
		by_name = {
			**spec,
			"erpnext_key_field": "item_name",
			"field_mappings": [r for r in spec["field_mappings"] if r["erpnext_field"] != "item_code"],
		}
		make_mapping(items, **by_name)
		log = pull(items, full=True)
		self.assertIn(f"TW1-{self.token}", log.record_errors)
		self.assertIn(f"TW2-{self.token}", log.record_errors)
		self.assertEqual(frappe.db.count("Item", {"item_name": twin}), 2)
		record_scenario("existing records adopted", count, 0, 0)


class TestEnvironmentsKeptApart(IntegrationTestCase):
	def setUp(self):
		self.token = frappe.generate_hash(length=6)
		self.name = f"Test Env {self.token}"
		self.outbound = f"Test Env Out {self.token}"
		self.test_env = AfasSimulator(port=0).start()
		self.production = AfasSimulator(port=0).start()
		self.addCleanup(self.test_env.stop)
		self.addCleanup(self.production.stop)
		for sim, label in ((self.test_env, "test"), (self.production, "prod")):
			sim.generate_rows(DEBTORS, n=8, seed=7)  # the same keys in both, other names
			tag_rows(sim, DEBTORS, "DebtorId", f"{label} {self.token}")
		self.addCleanup(configure, simulator())
		configure(self.test_env, environment_type="Test")
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name)
		self.addCleanup(cleanup_mapping, self.outbound)
		push_mapping(self.outbound, link_with=self.name)
		self.addCleanup(restore_outbound, isolate_outbound(self.outbound))

	def test_switching_to_production_uses_no_test_key_and_no_test_watermark(self):
		first = pull(self.name)
		self.assertEqual((first.inserted, first.environment), (8, "12345 Test"))
		customer = new_customer(f"Env {self.token} B.V.")
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		test_key = links(self.name, reference_name=customer.name)[0].afas_key
		configure(self.production, environment_type="Production")
		log = pull(self.name)
		self.assertEqual((log.rows_read, log.inserted, log.environment), (8, 8, "12345 Production"))
		self.assertEqual({link.environment for link in links(self.name)}, {"12345 Test", "12345 Production"})
		customer.reload()
		customer.tax_id = "NL000000006B01"
		customer.save()
		self.assertEqual(push(self.outbound, "Customer", customer.name), ["Success"])
		sent = [r for r in self.production.requests if r.connector == DEBTOR]
		self.assertEqual([r.method for r in sent], ["POST"], "not a PUT with the test environment's key")
		production_key = links(self.name, reference_name=customer.name, environment="12345 Production")[
			0
		].afas_key
		self.assertIn(production_key, self.production.records(DEBTOR))
		self.assertEqual(
			frappe.db.get_value(LOG, {"mapping": self.outbound}, "environment", order_by="creation desc"),
			"12345 Production",
		)
		configure(self.test_env, environment_type="Test")
		self.assertEqual(pull(self.name).rows_read, 1, "the test watermark is still the test environment's")
		self.assertEqual(
			links(self.name, reference_name=customer.name, environment="12345 Test")[0].afas_key, test_key
		)
		record_scenario("two environments, same keys", 16, 0, 0)


class TestLogsTellTheTruth(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)
		self.name = "Test Truth " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=35, seed=41)
		tag_rows(self.sim, DEBTORS, "DebtorId", self.name[-6:])
		self.addCleanup(cleanup_mapping, self.name, "Customer")
		debtor_mapping(self.name)

	def test_a_run_left_running_by_a_dead_worker_is_closed(self):
		from afas_connector.binding.outbox import sweep
		from afas_connector.binding.sync_log import create_log

		stale = create_log(mapping=self.name, direction="Inbound", status="Running", commit=True)
		past = frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-10)
		frappe.db.set_value(LOG, stale.name, "creation", past, update_modified=False)
		frappe.db.commit()
		sweep(inline=True)
		status, error = frappe.db.get_value(LOG, stale.name, ["status", "error"])
		self.assertEqual(status, "Failed")
		self.assertIn("stopped without finishing", error)

	def test_switching_the_connector_off_stops_the_run_at_the_next_page(self):
		def switch_off(data):
			if data["pages"] == 1 and not data["finished"]:
				frappe.db.set_single_value("AFAS Settings", "enabled", 0)
				frappe.db.commit()

		self.addCleanup(configure, self.sim)
		log = pull(self.name, progress=switch_off)
		self.assertEqual((log.status, log.rows_read), ("Partial", 10))
		self.assertIn("switched off", log.error)
		configure(self.sim)
		self.assertEqual(pull(self.name).status, "Success")
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.name}), 35)
		record_scenario(
			"connector switched off mid-run", 35, 35 - frappe.db.count(LINK, {"mapping": self.name}), 0
		)

	def test_an_inbound_row_into_a_child_table_is_refused_at_save(self):
		mapping = frappe.get_doc(MAPPING, self.name)
		mapping.append(
			"field_mappings", {"afas_field": "CreditLimit", "erpnext_field": "credit_limits.credit_limit"}
		)
		with self.assertRaises(frappe.ValidationError) as info:
			mapping.save()
		self.assertIn("child table", str(info.exception))
