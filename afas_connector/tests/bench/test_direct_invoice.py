"""Sales invoices the way AFAS's order management takes them (issue 28 §6): the template "Sales Invoice
→ AFAS direct invoice" sends a submitted Sales Invoice to FbDirectInvoice once, with a line per item
row, for the debtor the debtors mapping linked; AFAS numbers it and the number is kept."""

from __future__ import annotations

import frappe

from afas_connector.binding.constants import MAPPING
from afas_connector.devtools.samples import new_sales_invoice
from afas_connector.tests.bench.fixtures import ITEMS, sales_masters
from afas_connector.tests.bench.test_templates import PREFIX, TemplateCase


class TestDirectInvoices(TemplateCase):
	def test_a_submitted_invoice_is_one_direct_invoice_with_its_lines(self):
		debtors = self.make("debtors-in")
		self.pull(debtors)
		invoices = self.make("direct-invoice-out")
		# a debtor AFAS does not block (a blocked one comes in as a disabled Customer: ERPNext refuses it)
		debtor, customer = next(
			(key, name)
			for key, name in sorted(self.links(debtors).items())
			if not frappe.db.get_value("Customer", name, "disabled")
		)
		invoice = new_sales_invoice(customer, sales_masters(), ITEMS[0], 3, 12.5)
		invoice.submit()
		frappe.db.commit()
		self.invoices.append(invoice.name)

		self.assertEqual(self.push(invoices, "Sales Invoice", invoice.name), ["Success"])
		stored = [r for r in self.sim.records("FbDirectInvoice").values() if r["DbId"] == debtor]
		self.assertEqual(len(stored), 1, stored)
		(sent,) = stored
		self.assertEqual(sent["DbId"], debtor)
		lines = sent["FbDirectInvoiceLines"]
		lines = lines if isinstance(lines, list) else [lines]
		self.assertEqual(
			[(line["ItCd"], float(line["QuUn"]), float(line["Upri"])) for line in lines],
			[(ITEMS[0], 3.0, 12.5)],
		)
		number = frappe.db.get_value(
			"AFAS Record Link", {"mapping": invoices, "reference_name": invoice.name}, "afas_key"
		)
		self.assertIn(str(number), self.sim.records("FbDirectInvoice"))
		self.assertEqual(self.sim.records("FbDirectInvoice")[str(number)]["DbId"], debtor)

		# exactly once: nothing is pending any more, a second drain sends nothing
		self.assertEqual(self.push(invoices, "Sales Invoice", invoice.name), [])
		self.assertEqual(
			len([r for r in self.sim.records("FbDirectInvoice").values() if r["DbId"] == debtor]), 1
		)

	def test_ledger_entries_and_direct_invoices_for_one_doctype_are_refused(self):
		"""One way into AFAS's books: switching on direct invoices while a Ledger mapping of Sales
		Invoices is on (or the other way round) is refused; both switched off may wait side by side."""
		from afas_connector.binding.outbound_mapping import check_one_way_to_the_books
		from afas_connector.devtools.samples import sales_ledger_mapping

		debtors = self.make("debtors-in")
		direct = self.make("direct-invoice-out", enable=False)
		ledger_name = f"{PREFIX}Ledger beside direct"
		spec = sales_ledger_mapping(ledger_name, sales_masters(), debtors)
		self.addCleanup(frappe.delete_doc, MAPPING, ledger_name, force=True, ignore_permissions=True)
		ledger = frappe.get_doc({"doctype": MAPPING, **spec, "enabled": 1})
		ledger.flags.ignore_validate = True  # set-up: the ledger's own maps are not what is tested here
		ledger.insert()
		doc = frappe.get_doc(MAPPING, direct)
		doc.enabled = 1
		with self.assertRaises(frappe.ValidationError) as caught:
			doc.save()
		self.assertIn("would reach AFAS's books twice", str(caught.exception))
		self.assertIn(ledger_name, str(caught.exception))
		self.assertIn("ledger entries", str(caught.exception))
		frappe.db.set_value(MAPPING, ledger_name, "enabled", 0)
		doc.reload()
		doc.enabled = 1
		doc.save()  # the ledger is off: direct invoices may go
		ledger.reload()
		ledger.enabled = 1
		with self.assertRaises(frappe.ValidationError) as caught:
			check_one_way_to_the_books(ledger)  # and the ledger may not be switched on beside them
		self.assertIn(direct, str(caught.exception))

	def test_an_invoice_for_a_customer_afas_does_not_know_is_not_sent(self):
		self.make("debtors-in")
		invoices = self.make("direct-invoice-out")
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"Unknown to AFAS {self.tag}",
				"customer_type": "Company",
			}
		).insert(ignore_permissions=True)
		invoice = new_sales_invoice(customer.name, sales_masters(), ITEMS[0], 1, 10)
		invoice.submit()
		frappe.db.commit()
		self.invoices.append(invoice.name)
		before = len(self.sim.records("FbDirectInvoice"))
		outcomes = self.push(invoices, "Sales Invoice", invoice.name)
		self.assertNotIn("Success", outcomes)
		self.assertEqual(len(self.sim.records("FbDirectInvoice")), before)
		error = frappe.db.get_value(
			"AFAS Sync Log", {"mapping": invoices, "reference_name": invoice.name}, "error"
		)
		self.assertIn("is not in AFAS yet", error)

	def setUp(self):
		super().setUp()
		self.invoices: list[str] = []

	def tearDown(self):
		for name in self.invoices:  # before the template mappings and their Customers go
			doc = frappe.get_doc("Sales Invoice", name)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.delete_doc("Sales Invoice", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()
