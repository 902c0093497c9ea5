"""Issue 5, a submittable document with a child table: ERPNext Sales Orders → AFAS FbSales.

The order's customer goes out as the debtor's AFAS key (the ``afas_key`` transform), its item rows as
FbSalesLines elements; submit sends it, cancel deletes it. The body is built at push time, so an
order saved right after its new customer waits for that customer to reach AFAS instead of failing.
"""

from __future__ import annotations

import json

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.fixtures import (
	ITEMS,
	IntegrationTestCase,
	configure,
	debtor_and_order_mappings,
	delete_created,
	new_sales_order,
	sales_masters,
	simulator,
)

DEBTOR = "KnSalesRelationOrg"
ORDER = "FbSales"


class TestOutboundOrders(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		sales_masters()

	def setUp(self):
		self.sim.faults.clear()
		self.sim.clear_requests()
		token = frappe.generate_hash(length=6)
		self.customers = f"Test Order Debtors {token}"
		self.orders = f"Test Orders {token}"
		self.created = []
		# Cleanups run even when setUp fails half-way (tearDown would not), last registered first.
		debtor_and_order_mappings(self, self.customers, self.orders)
		self.addCleanup(delete_created, self.sim, self.created)

	def customer(self, suffix, **fields):
		doc = new_customer(f"Order {self.orders[-6:]}{suffix} B.V.", **fields)
		self.created.append(("Customer", doc.name))
		return doc

	def order(self, customer, lines=((ITEMS[0], 100, 0.12), (ITEMS[1], 50, 0.08))):
		doc = new_sales_order(customer.name, list(lines))
		self.created.append(("Sales Order", doc.name))
		return doc

	def sent(self, connector, method=None):
		return [
			r
			for r in self.sim.requests
			if r.connector == connector and (method is None or r.method == method)
		]

	def log(self, mapping, name):
		return frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": mapping, "reference_name": name},
			fields=["name", "status", "error", "record_errors", "rounds", "http_method", "afas_key"],
			order_by="creation desc",
			limit=1,
		)[0]

	def drain(self, now=None):
		from afas_connector.binding.outbox import drain

		frappe.db.commit()
		drain(now=now)

	def test_preview_shows_the_body_the_push_sends(self):
		"""One builder for both: the desk's preview of an order is byte for byte what the push POSTs,
		customer key (afas_key transform) and item lines included; once the order is known to AFAS
		the preview shows the PUT with its key."""
		from afas_connector.api import preview_mapping

		customer = self.customer("-preview")
		self.drain()  # the customer reaches AFAS, so the order's DbId resolves
		order = self.order(customer)
		preview = preview_mapping(self.orders, docname=order.name)
		self.assertEqual((preview["http_method"], preview["errors"]), ("POST", []))
		self.drain()
		self.assertEqual(self.sent(ORDER, "POST")[0].body, preview["body"])
		again = preview_mapping(self.orders, docname=order.name)
		self.assertEqual(again["http_method"], "PUT")
		self.assertEqual(again["body"][ORDER]["Element"]["@OrNu"], self.log(self.orders, order.name).afas_key)

	def test_a_price_afas_cannot_hold_is_refused_or_rounded_as_the_mapping_says(self):
		"""ERPNext keeps 4 decimals of a rate; AFAS's FbSalesLines.Upri holds 2 (metainfo). Nothing is
		sent that AFAS would round or refuse silently: a clear error naming the field, or the rounding
		the mapping row chose."""
		from afas_connector.api import retry_log

		settings = frappe.get_single("System Settings")
		self.addCleanup(self.set_currency_precision, settings.currency_precision)
		self.set_currency_precision("4")
		customer = self.customer("-price")
		order = self.order(customer, lines=((ITEMS[0], 10, 0.125),))
		self.assertEqual(frappe.db.get_value("Sales Order Item", {"parent": order.name}, "rate"), 0.125)
		self.drain()
		failed = self.log(self.orders, order.name)
		self.assertEqual(failed.status, "Failed")
		self.assertIn("FbSalesLines[1].Upri", failed.error)
		self.assertIn("0.125", failed.error)
		self.assertEqual(self.sent(ORDER), [], "nothing AFAS cannot hold is sent")
		mapping = frappe.get_doc("AFAS Connector Mapping", self.orders)
		for row in mapping.field_mappings:
			if row.afas_field == "FbSalesLines.Upri":
				row.afas_rounding = "Round half up"
		mapping.save()
		frappe.db.commit()
		self.assertEqual(retry_log(failed.name)["queued"], 1)
		self.drain()
		line = self.sent(ORDER, "POST")[0].body[ORDER]["Element"]["Objects"][0]["FbSalesLines"]["Element"][0]
		self.assertEqual(line["Fields"]["Upri"], 0.13)

	def set_currency_precision(self, value):
		settings = frappe.get_single("System Settings")
		settings.currency_precision = value
		settings.flags.ignore_mandatory = True
		settings.save(ignore_permissions=True)
		frappe.db.commit()

	def test_order_goes_out_after_its_new_customer_with_one_line_per_item(self):
		customer = self.customer("-new")
		order = self.order(customer)
		self.drain()
		sent = [(r.connector, r.method) for r in self.sim.requests if r.connector in (DEBTOR, ORDER)]
		self.assertEqual(sent, [(DEBTOR, "POST"), (ORDER, "POST")], "the customer first, then its order")
		debtor_key = self.log(self.customers, customer.name).afas_key
		element = self.sent(ORDER, "POST")[0].body[ORDER]["Element"]
		self.assertEqual(element["Fields"]["DbId"], debtor_key)
		self.assertEqual(element["Fields"]["RfCs"], order.po_no)
		lines = element["Objects"][0]["FbSalesLines"]["Element"]
		self.assertEqual(
			[(line["Fields"]["ItCd"], line["Fields"]["QuUn"], line["Fields"]["VaIt"]) for line in lines],
			[(ITEMS[0], 100.0, "2"), (ITEMS[1], 50.0, "2")],
		)
		log = self.log(self.orders, order.name)
		self.assertEqual((log.status, log.http_method), ("Success", "POST"))
		stored = self.sim.records(ORDER)[log.afas_key]
		self.assertEqual([line["ItCd"] for line in stored["FbSalesLines"]], list(ITEMS))

		order.reload()
		order.cancel()
		self.drain()
		self.assertEqual(len(self.sent(ORDER, "DELETE")), 1)
		self.assertNotIn(log.afas_key, self.sim.records(ORDER))
		self.assertEqual(self.log(self.orders, order.name).http_method, "DELETE")

	def test_order_waits_while_its_customer_is_retrying(self):
		self.sim.faults.add(connector=DEBTOR, kind="maintenance", times=None, retry_after=600, method="POST")
		customer = self.customer("-wait")
		order = self.order(customer)
		self.drain()
		self.assertEqual(self.log(self.customers, customer.name).status, "Retrying")
		waiting = self.log(self.orders, order.name)
		self.assertEqual((waiting.status, waiting.rounds), ("Retrying", 0))
		self.assertIn(customer.name, waiting.error)
		self.assertIn("reach AFAS", waiting.error)
		self.assertEqual(self.sent(ORDER), [], "nothing sent for the order yet")

		self.sim.faults.clear()  # AFAS is back
		later = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=2)
		self.drain(now=later)
		self.assertEqual(self.log(self.customers, customer.name).status, "Success")
		self.assertEqual(self.log(self.orders, order.name).status, "Success")
		self.assertEqual(len(self.sent(ORDER, "POST")), 1)

	def test_order_for_a_customer_never_sent_fails_readably_and_retries_after_the_fix(self):
		from afas_connector.api import retry_log

		person = self.customer("-ind", customer_type="Individual")  # the condition leaves it out
		order = self.order(person)
		self.drain()
		failed = self.log(self.orders, order.name)
		self.assertEqual(failed.status, "Failed")
		self.assertIn(f"{person.name} is not in AFAS yet", failed.error)
		self.assertEqual(json.loads(failed.record_errors)[0]["field"], "customer")
		self.assertEqual(self.sent(ORDER), [])

		person.reload()
		person.customer_type = "Company"
		person.save()
		self.drain()
		self.assertEqual(self.log(self.customers, person.name).status, "Success")
		self.assertEqual(retry_log(failed.name)["queued"], 1)
		self.drain()
		self.assertEqual(self.log(self.orders, order.name).status, "Success")
		self.assertEqual(len(self.sent(ORDER, "POST")), 1)
