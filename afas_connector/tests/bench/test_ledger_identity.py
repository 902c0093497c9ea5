"""Issue 24 §1–§3, "the books must match": a voucher's identity in AFAS (a name ERPNext gives out again,
an entry number AFAS gives out again, which invoice number AFAS gets), currencies as AFAS reads them,
and dimensions only where they belong. Real ERPNext vouchers on the Dutch test company (EUR, VAT 21 %)
are booked into the simulator, which applies AFAS's rules; after each, AFAS's booked lines are compared
with ERPNext's GL Entries per account, party, VAT code and amount, as an accountant would."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from unittest import mock

import frappe
from frappe.utils import today

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench import test_ledger as base
from afas_connector.tests.bench.fixtures import COMPANY, ITEMS, record_scenario

ABBR, LOG, LINK, MAPPING = base.ABBR, base.LOG, base.LINK, "AFAS Connector Mapping"


class LedgerCase(base.TestLedger):
	"""TestLedger's fixture (mappings, customer, accounts) without its tests."""


for _name in dir(base.TestLedger):
	if _name.startswith("test_"):
		setattr(LedgerCase, _name, None)


class TestLedgerIdentity(LedgerCase):
	# ---------------------------------------------------------------- helpers

	def link(self, doc):
		return frappe.db.get_value(
			LINK,
			{"mapping": self.ledgers[doc.doctype], "reference_name": doc.name},
			["name", "afas_key", "reversal_key", "missing_in_afas", "note"],
			as_dict=True,
		)

	def log(self, doc):
		return frappe.db.get_value(
			LOG,
			{"mapping": self.ledgers[doc.doctype], "reference_name": doc.name},
			["name", "status", "error", "afas_key"],
			as_dict=True,
			order_by="creation desc",
		)

	def afas_rows(self, voucher, unit=1):
		return [
			r
			for r in self.sim.rows("Profit_Transactions")
			if r["VoucherNo"] == voucher and r["UnitId"] == unit
		]

	def assert_books_match(self, doctype, voucher, unit=1):
		"""AFAS's lines under ``voucher`` against ERPNext's GL Entries of it (all of them: a deleted
		voucher's stay), per AFAS account (ledger account, debtor or creditor) and, on the VAT
		accounts, per VAT code."""
		mapping = frappe.get_doc(MAPPING, self.ledgers[doctype])
		accounts = {r.erpnext_value: r.afas_value for r in mapping.ledger_maps if r.kind == "Account"}
		codes = {r.erpnext_value: r.afas_value for r in mapping.ledger_maps if r.kind == "VAT Code"}
		parties = {
			("Customer", r.reference_name): r.afas_key
			for r in frappe.get_all(LINK, {"mapping": self.customers}, ["reference_name", "afas_key"])
		} | {
			("Supplier", r.reference_name): r.afas_key
			for r in frappe.get_all(LINK, {"mapping": self.suppliers}, ["reference_name", "afas_key"])
		}
		erpnext, erpnext_vat = defaultdict(Decimal), defaultdict(Decimal)
		for gl in frappe.get_all(
			"GL Entry",
			filters={"voucher_type": doctype, "voucher_no": voucher},
			fields=["account", "party_type", "party", "debit", "credit"],
		):
			net = Decimal(str(gl.debit)) - Decimal(str(gl.credit))
			afas = parties.get((gl.party_type, gl.party)) if gl.party else accounts[gl.account]
			erpnext[afas] += net
			if gl.account in codes:
				erpnext_vat[codes[gl.account]] += net
		afas, afas_vat = defaultdict(Decimal), defaultdict(Decimal)
		vat_accounts = {accounts[a] for a in codes if a in accounts}
		for row in self.afas_rows(voucher, unit):
			net = Decimal(str(row["AmtDebit"])) - Decimal(str(row["AmtCredit"]))
			afas[row["AccountNo"]] += net
			if row["AccountNo"] in vat_accounts:
				afas_vat[row["VatCode"]] += net
		clean = lambda d: {k: v for k, v in d.items() if v}  # noqa: E731
		self.assertEqual(clean(afas), clean(erpnext), f"AFAS's books against ERPNext's for {voucher}")
		self.assertEqual(clean(afas_vat), clean(erpnext_vat), f"VAT per code for {voucher}")

	def elements(self, request=None):
		body = (request or self.entries()[-1]).body["FiEntryPar"]["Element"]
		return body["Objects"][0]["FiEntries"]["Element"]

	def sales_invoice(self, amount=30.0, vat=True, **fields):
		return self.invoice(
			[(ITEMS[0], 1, amount, None)], [(self.accounts["vat21"], 21)] if vat else [], **fields
		)

	# ---------------------------------------------------------------- §1a a name given out again

	def test_a_name_given_out_again_is_booked_as_the_new_voucher(self):
		"""Book an invoice, cancel it (the reversal is booked), delete it; ERPNext gives the next invoice
		the same name. AFAS holds the old booking and its reversal under that name: not this booking, so
		the new invoice is booked (it was logged "Already in AFAS … not booked again" and was missing
		from AFAS's books), with the same amount as the old one too."""
		gone = self.sales_invoice(30.0)
		self.assertEqual(self.book(gone), ["Success"])
		gone.reload()
		gone.cancel()
		self.assertEqual(self.book(gone), ["Success"])
		old = self.link(gone)
		frappe.delete_doc("Sales Invoice", gone.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		again = self.sales_invoice(30.0)
		if again.name != gone.name:
			self.skipTest("this site's naming series did not give the name out again")
		self.assertEqual(self.book(again), ["Success"], self.log(again).error)
		log = self.log(again)
		self.assertNotIn("Already in AFAS", log.error or "")
		link = self.link(again)
		self.assertNotIn(link.afas_key, (old.afas_key, old.reversal_key))
		self.assertEqual(len(self.entries()), 3, "booking, reversal, and the new invoice's booking")
		self.assertEqual(len({r["EntryNo"] for r in self.afas_rows(again.name)}), 3)
		self.assert_books_match("Sales Invoice", again.name)
		# its own cancel is booked, not "already reversed"
		again.reload()
		again.cancel()
		self.assertEqual(self.book(again), ["Success"])
		self.assertTrue(self.link(again).reversal_key)
		self.assertEqual(len(self.entries()), 4)
		self.assert_books_match("Sales Invoice", again.name)
		record_scenario("ledger: a name given out again", 2, 0, 0)

	def test_entries_that_cannot_be_told_apart_are_left_to_the_user(self):
		"""Two entries in AFAS under the voucher's number, each this booking to the cent and none
		another document's (booked by hand twice, say): the push books nothing and says so (Outcome
		Unknown), never a silent Success; the user links the right one."""
		from afas_connector.binding import ledger
		from afas_connector.binding.connection import get_client
		from afas_connector.binding.outbox import resolve_unknown

		doc = self.sales_invoice(40.0)
		mapping = frappe.get_doc(MAPPING, self.ledgers["Sales Invoice"])
		record, errors, _waiting = ledger.build(mapping, "Sales Invoice", doc.name)
		self.assertEqual(errors, [])
		with get_client() as client:
			keys = [f"1/{client.insert('FiEntries', record, root='FiEntryPar').key('EnNo')}" for _ in (1, 2)]
		posts = len(self.entries())
		self.assertEqual(self.book(doc), ["Outcome Unknown"])
		log = self.log(doc)
		self.assertIn(", ".join(keys), log.error)
		self.assertEqual(len(self.entries()), posts, "nothing sent")
		self.assertIsNone(self.link(doc))
		self.assertEqual(resolve_unknown(log.name, afas_key=keys[1]), "Success")
		self.assertEqual(self.link(doc).afas_key, keys[1])

	def test_a_lost_answer_is_still_found_once(self):
		"""The look-up still links this booking when its answer was lost: one entry, this date, lines
		and party, nobody else's."""
		from afas_connector.binding.outbox import sweep

		doc = self.sales_invoice(50.0)
		self.sim.faults.add(connector="FiEntries", kind="truncated", times=1, method="POST")
		self.assertEqual(self.book(doc), ["Retrying"])
		sweep(now=frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=2), inline=True)
		log = self.log(doc)
		self.assertEqual(log.status, "Success")
		self.assertIn("Already in AFAS", log.error)
		self.assertEqual(self.link(doc).afas_key, log.afas_key)
		self.assertEqual(len(self.entries()), 1)
		self.assert_books_match("Sales Invoice", doc.name)

	# ---------------------------------------------------------------- §1b an entry number seen again

	def use_administration(self, unit):
		from afas_connector.binding.connection import environment

		frappe.cache.delete_value(f"afas_reference::{environment()}::Profit_Administrations")
		mapping = frappe.get_doc(MAPPING, self.ledgers["Sales Invoice"])
		for row in mapping.ledger_maps:
			if row.kind == "Administration":
				row.afas_value = str(unit)
		mapping.save(ignore_permissions=True)
		frappe.db.commit()

	def test_an_entry_number_of_another_administration_is_another_booking(self):
		"""AFAS numbers entries per administration: a voucher booked in administration 2 gets an entry
		number a voucher of administration 1 already has (two companies, one environment). Both keep
		their own link (the second took over the first's, and the first's cancel was never sent)."""
		if 2 not in {r["AdminId"] for r in self.sim.rows("Profit_Administrations")}:
			self.sim.add_administration(2, "Dochter B.V.")
		first = self.sales_invoice(60.0)
		self.assertEqual(self.book(first), ["Success"])
		key = self.link(first).afas_key
		self.addCleanup(self.use_administration, 1)
		self.use_administration(2)
		self.sim.number_entries_from(2, int(key.split("/")[1]))
		second = self.sales_invoice(70.0)
		self.assertEqual(self.book(second), ["Success"], self.log(second).error)
		self.assertEqual(self.link(second).afas_key, f"2/{key.split('/')[1]}", "the same number, unit 2")
		self.assertEqual((self.link(first).afas_key, self.link(first).missing_in_afas), (key, 0))
		self.assert_books_match("Sales Invoice", second.name, unit=2)
		self.use_administration(1)
		first.reload()
		first.cancel()
		self.assertEqual(self.book(first), ["Success"], self.log(first).error)
		self.assertTrue(self.link(first).reversal_key.startswith("1/"))
		self.assert_books_match("Sales Invoice", first.name)

	def test_an_entry_number_given_out_again_never_moves_a_link(self):
		"""An environment restored from an older copy gives an entry number out again: the new voucher
		is linked to it, the old voucher keeps its link, marked Missing in AFAS with a note, and the new
		voucher's log says so (its link was moved to the new voucher without a word)."""
		first = self.sales_invoice(80.0)
		self.assertEqual(self.book(first), ["Success"])
		key = self.link(first).afas_key
		self.sim.number_entries_from(1, int(key.split("/")[1]))
		second = self.sales_invoice(90.0)
		self.assertEqual(self.book(second), ["Success"])
		self.assertEqual(self.link(second).afas_key, key)
		kept = self.link(first)
		self.assertIsNotNone(kept, "the old voucher keeps its link")
		self.assertEqual(kept.missing_in_afas, 1)
		self.assertTrue(kept.afas_key.startswith(key) and kept.afas_key != key)
		self.assertIn(second.name, kept.note)
		self.assertIn(first.name, self.log(second).error)

	# ---------------------------------------------------------------- §1c invoice numbers

	def test_a_purchase_invoice_and_its_payment_carry_the_supplier_s_number(self):
		"""The creditor line carries the supplier's invoice number (bill_no), which AFAS's creditor items
		and payments are matched on; the payment settling it carries the same number, so AFAS closes
		the item."""
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		supplier = frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": f"Identity Supplier {self.token}",
				"supplier_group": "All Supplier Groups",
			}
		).insert(ignore_permissions=True)
		self.assertEqual(self.push(self.suppliers, "Supplier", supplier.name), ["Success"])
		creditor = frappe.db.get_value(
			LINK, {"mapping": self.suppliers, "reference_name": supplier.name}, "afas_key"
		)
		bill_no = f"F{self.token}"
		bill = frappe.get_doc(
			{
				"doctype": "Purchase Invoice",
				"supplier": supplier.name,
				"company": COMPANY,
				"posting_date": today(),
				"set_posting_time": 1,
				"bill_no": bill_no,
				"currency": "EUR",
				"conversion_rate": 1,
				"disable_rounded_total": 1,
				"items": [
					{
						"item_code": ITEMS[0],
						"qty": 1,
						"rate": 200.0,
						"expense_account": f"Office Rent - {ABBR}",
						"cost_center": f"Main - {ABBR}",
					}
				],
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": self.accounts["input"],
						"rate": 21,
						"description": "VAT",
						"category": "Total",
						"add_deduct_tax": "Add",
					}
				],
			}
		).insert(ignore_permissions=True)
		bill.submit()
		self.assertEqual(self.book(bill), ["Success"], self.log(bill).error)
		lines = [e["Fields"] for e in self.elements()]
		self.assertEqual({line["InId"] for line in lines}, {bill_no})
		self.assert_books_match("Purchase Invoice", bill.name)
		items = {r["InvoiceNr"]: r for r in self.sim.rows("Profit_Creditor_Invoices")}
		self.assertEqual(items[bill_no]["CreditorId"], creditor)

		payment = get_payment_entry("Purchase Invoice", bill.name, bank_account=self.accounts["bank"])
		payment.reference_no, payment.reference_date = f"BANK-{self.token}", today()
		payment.insert(ignore_permissions=True)
		payment.submit()
		self.assertEqual(self.book(payment), ["Success"], self.log(payment).error)
		creditor_line = next(e["Fields"] for e in self.elements() if e["Fields"]["VaAs"] == "3")
		self.assertEqual((creditor_line["AmDe"], creditor_line["InId"]), (242.0, bill_no))
		self.assertNotIn(bill_no, {r["InvoiceNr"] for r in self.sim.rows("Profit_Creditor_Invoices")})
		self.assert_books_match("Payment Entry", payment.name)

	def test_a_credit_note_of_its_own_series_never_shares_an_invoice_s_number(self):
		"""ACC-SINV-RET-2026-00001 and ACC-SINV-2026-00001 both became 2026-00001: a credit note could
		take its number (and settle its open item) from an unrelated invoice. A series whose numbers
		look like the default's gets its mark: R2026-00001."""
		from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

		from afas_connector.sync.ledger import invoice_number

		doc = self.sales_invoice(100.0)
		self.assertEqual(self.book(doc), ["Success"])
		invoice_id = self.elements()[0]["Fields"]["InId"]
		credit = make_sales_return(doc.name)
		credit.naming_series = "ACC-SINV-RET-.YYYY.-"
		credit.insert(ignore_permissions=True)
		credit.submit()
		self.assertTrue(credit.name.startswith("ACC-SINV-RET-"))
		self.assertEqual(self.book(credit), ["Success"], self.log(credit).error)
		credit_id = self.elements()[0]["Fields"]["InId"]
		plain = invoice_number(credit.name, "")[0]  # the number an invoice ACC-SINV-<same> gets
		self.assertNotEqual(credit_id, plain)
		self.assertEqual(credit_id, f"R{plain}")
		self.assertNotEqual(credit_id, invoice_id)
		open_items = {r["InvoiceNr"]: r["Balance"] for r in self.sim.rows("Profit_Debtor_Invoices")}
		self.assertEqual((open_items[invoice_id], open_items[credit_id]), (121.0, -121.0))
		self.assert_books_match("Sales Invoice", credit.name)

	def test_a_rule_that_cannot_give_numbers_of_their_own_is_refused_at_save(self):
		mapping = frappe.get_doc(MAPPING, self.ledgers["Sales Invoice"])
		series = ["ACC-SINV-.YYYY.-", "ACC-SINV-RET-.YYYY.-", "ACC-SINV-REV-.YYYY.-"]
		with mock.patch("afas_connector.binding.ledger.naming_series_of", return_value=series):
			with self.assertRaises(frappe.ValidationError) as info:
				mapping.save(ignore_permissions=True)
			self.assertIn("R2026-00001", str(info.exception))
			mapping.reload()
			mapping.invoice_number_rule = "Document Name"
			mapping.save(ignore_permissions=True)  # unique names; one that does not fit is refused when sent

	# ---------------------------------------------------------------- §2 currencies as AFAS reads them

	def test_a_usd_invoice_carries_afas_s_rate(self):
		"""USD 1,000 at 0.92 = EUR 920: AFAS's Rate is USD per EUR (1.086957), and the simulator, which
		checks amount × Rate against the currency amount as AFAS does, books it (0.92 it refused)."""
		usd = new_customer(
			f"Identity USD {self.token} Inc.",
			default_currency="USD",
			accounts=[{"company": COMPANY, "account": self.accounts["usd"]}],
		)
		self.assertEqual(self.push(self.customers, "Customer", usd.name), ["Success"])
		doc = self.invoice(
			[(ITEMS[0], 1, 1000.0, None)],
			[],
			customer=usd.name,
			currency="USD",
			conversion_rate=0.92,
			debit_to=self.accounts["usd"],
		)
		self.assertEqual(self.book(doc), ["Success"], self.log(doc).error)
		party = next(e["Fields"] for e in self.elements() if e["Fields"]["VaAs"] == "2")
		self.assertEqual(
			(party["CuId"], party["AmDe"], party["AmDc"], party["Rate"]), ("USD", 920.0, 1000.0, 1.086957)
		)
		self.assert_books_match("Sales Invoice", doc.name)

	# ---------------------------------------------------------------- §3 dimensions where they belong

	def test_a_cost_centre_goes_on_revenue_not_on_vat(self):
		"""ERPNext puts the cost centre on every GL line, the VAT line too; AFAS gets it on the revenue
		line only (a strict administration refuses it on the VAT account), or where the account map
		says so."""
		doc = self.sales_invoice(100.0)
		self.assertTrue(
			frappe.db.get_value(
				"GL Entry", {"voucher_no": doc.name, "account": self.accounts["vat21"]}, "cost_center"
			),
			"ERPNext's VAT line has a cost centre",
		)
		self.assertEqual(self.book(doc), ["Success"], self.log(doc).error)
		dims = {e["Fields"]["AcNr"]: bool(e.get("Objects")) for e in self.elements()}
		self.assertEqual(dims, {self.debtor: False, "8000": True, "1510": False})
		self.assert_books_match("Sales Invoice", doc.name)

		self.sim.update_row("Profit_Accounts", "1510", {"DimAx1": "1"})
		self.addCleanup(self.sim.update_row, "Profit_Accounts", "1510", {"DimAx1": None})
		mapping = frappe.get_doc(MAPPING, self.ledgers["Sales Invoice"])
		for row in mapping.ledger_maps:
			if row.kind == "Account" and row.erpnext_value == self.accounts["vat21"]:
				row.dimension = "Always"
		mapping.save(ignore_permissions=True)
		other = self.sales_invoice(10.0)
		self.assertEqual(self.book(other), ["Success"], self.log(other).error)
		dims = {e["Fields"]["AcNr"]: bool(e.get("Objects")) for e in self.elements()}
		self.assertEqual(dims, {self.debtor: False, "8000": True, "1510": True})
