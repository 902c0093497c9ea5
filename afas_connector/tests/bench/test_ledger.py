"""Issue 16: the general ledger to AFAS. Real ERPNext vouchers (Sales and Purchase Invoices, a
Payment Entry, a Journal Entry) are submitted and booked into the simulator's FiEntries, which
applies AFAS's booking rules (administration, journal, period, known accounts and parties, balance)
and keeps what it booked in Profit_Transactions."""

from __future__ import annotations

import os
import sys

import frappe
from frappe.utils import add_days, getdate, today

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.fixtures import (
	COMPANY,
	ITEMS,
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	isolate_outbound,
	make_mapping,
	push_mapping,
	record_scenario,
	restore_outbound,
	sales_masters,
	simulator,
)

ABBR = "ATBV"
LOG = "AFAS Sync Log"
LINK = "AFAS Record Link"


def account(name: str, parent: str, **fields) -> str:
	full = f"{name} - {ABBR}"
	if not frappe.db.exists("Account", full):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": name,
				"company": COMPANY,
				"parent_account": f"{parent} - {ABBR}",
				**fields,
			}
		).insert(ignore_permissions=True)
	return full


def ledger_masters() -> dict[str, str]:
	"""VAT and bank accounts, item tax templates and a USD receivable for the test company."""
	sales_masters()
	accounts = {
		"vat21": f"VAT 21% - {ABBR}",
		"vat9": account("VAT 9%", "Duties and Taxes", account_type="Tax", tax_rate=9),
		"rc": account("VAT Reverse Charge", "Duties and Taxes", account_type="Tax"),
		"input": account("Input VAT", "Duties and Taxes", account_type="Tax", tax_rate=21),
		"bank": account("Bank", "Bank Accounts", account_type="Bank"),
		"usd": account(
			"Debtors USD", "Accounts Receivable", account_type="Receivable", account_currency="USD"
		),
	}
	for name, rates in (
		("NL 21%", {accounts["vat21"]: 21, accounts["vat9"]: 0}),
		("NL 9%", {accounts["vat21"]: 0, accounts["vat9"]: 9}),
	):
		if not frappe.db.exists("Item Tax Template", f"{name} - {ABBR}"):
			frappe.get_doc(
				{
					"doctype": "Item Tax Template",
					"title": name,
					"company": COMPANY,
					"taxes": [{"tax_type": acc, "tax_rate": rate} for acc, rate in rates.items()],
				}
			).insert(ignore_permissions=True)
	for base, to in (("USD", "EUR"),):
		if not frappe.db.exists("Currency Exchange", {"from_currency": base, "to_currency": to}):
			frappe.get_doc(
				{
					"doctype": "Currency Exchange",
					"from_currency": base,
					"to_currency": to,
					"exchange_rate": 0.9,
					"date": "2020-01-01",
				}
			).insert(ignore_permissions=True)
	frappe.db.commit()
	return accounts


class TestLedger(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		cls.accounts = ledger_masters()

	def setUp(self):
		self.sim.faults.clear()
		self.sim.clear_requests()
		self.token = frappe.generate_hash(length=6)
		self.customers = f"Test Ledger Debtors {self.token}"
		self.suppliers = f"Test Ledger Creditors {self.token}"
		self.addCleanup(cleanup_mapping, self.customers)
		push_mapping(self.customers)
		self.addCleanup(cleanup_mapping, self.suppliers)
		make_mapping(
			self.suppliers,
			direction="Outbound",
			afas_connector="KnPurchaseRelationOrg",
			erpnext_doctype="Supplier",
			afas_key_field="CrId",
			push_on_insert=1,
			field_mappings=[
				{"afas_field": "KnOrganisation.Nm", "erpnext_field": "supplier_name", "required": 1},
				{
					"afas_field": "KnOrganisation.MatchOga",
					"erpnext_field": "supplier_type",
					"transform": "constant",
					"transform_options": "6",
				},
			],
		)
		self.ledgers = {}
		for doctype, journal in (
			("Sales Invoice", "20"),
			("Purchase Invoice", "10"),
			("Payment Entry", None),
			("Journal Entry", "90"),
		):
			name = f"Test Ledger {doctype} {self.token}"
			self.addCleanup(cleanup_mapping, name)
			make_mapping(name, **self.ledger(doctype, journal))
			self.ledgers[doctype] = name
		self.addCleanup(
			restore_outbound, isolate_outbound(self.customers, self.suppliers, *self.ledgers.values())
		)
		self.customer = new_customer(f"Ledger {self.token} B.V.")
		self.assertEqual(self.push(self.customers, "Customer", self.customer.name), ["Success"])
		self.debtor = frappe.db.get_value(
			LINK, {"mapping": self.customers, "reference_name": self.customer.name}, "afas_key"
		)

	def ledger(self, doctype: str, journal: str | None, **extra) -> dict:
		a = self.accounts
		maps = [
			{"kind": "Account", "erpnext_value": f"Sales - {ABBR}", "afas_value": "8000"},
			{"kind": "Account", "erpnext_value": a["vat21"], "afas_value": "1510"},
			{"kind": "Account", "erpnext_value": a["vat9"], "afas_value": "1510"},
			{"kind": "Account", "erpnext_value": a["input"], "afas_value": "1500"},
			{"kind": "Account", "erpnext_value": a["bank"], "afas_value": "1100"},
			{"kind": "Account", "erpnext_value": f"Office Rent - {ABBR}", "afas_value": "4210"},
			{"kind": "Account", "erpnext_value": f"Round Off - {ABBR}", "afas_value": "8150"},
			{"kind": "VAT Code", "erpnext_value": a["vat21"], "afas_value": "1"},
			{"kind": "VAT Code", "erpnext_value": a["vat9"], "afas_value": "2"},
			{"kind": "VAT Code", "erpnext_value": a["rc"], "afas_value": "4"},
			{"kind": "VAT Code", "erpnext_value": a["input"], "afas_value": "5"},
			{"kind": "Administration", "erpnext_value": COMPANY, "afas_value": "1"},
			{"kind": "Cost Centre", "erpnext_value": f"Main - {ABBR}", "afas_value": "WEST"},
		]
		if journal:
			maps.append(
				{
					"kind": "Journal",
					"erpnext_doctype": "DocType",
					"erpnext_value": doctype,
					"afas_value": journal,
				}
			)
		else:
			maps.append(
				{
					"kind": "Journal",
					"erpnext_doctype": "Account",
					"erpnext_value": a["bank"],
					"afas_value": "50",
				}
			)
		return {
			"direction": "Outbound",
			"mapping_type": "Ledger (FiEntries)",
			"afas_connector": "FiEntries",
			"erpnext_doctype": doctype,
			"afas_key_field": "EnNo",
			"customer_mapping": self.customers,
			"supplier_mapping": self.suppliers,
			"field_mappings": [],
			"ledger_maps": maps,
			**extra,
		}

	def push(self, mapping, doctype, name):
		from afas_connector.binding.push import push_pending

		frappe.db.commit()
		return push_pending(mapping, doctype, name)

	def book(self, doc):
		return self.push(self.ledgers[doc.doctype], doc.doctype, doc.name)

	def entries(self):
		return [r for r in self.sim.requests if r.connector == "FiEntries" and r.method == "POST"]

	def lines(self, request=None):
		body = (request or self.entries()[-1]).body["FiEntryPar"]["Element"]
		return body, [e["Fields"] for e in body["Objects"][0]["FiEntries"]["Element"]]

	def invoice(self, items, taxes, **fields):
		doc = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": self.customer.name,
				"company": COMPANY,
				"posting_date": today(),
				"set_posting_time": 1,
				"due_date": add_days(today(), 30),
				"currency": "EUR",
				"disable_rounded_total": 1,
				"items": [
					{
						"item_code": code,
						"qty": qty,
						"rate": rate,
						"income_account": f"Sales - {ABBR}",
						"cost_center": f"Main - {ABBR}",
						"item_tax_template": template,
					}
					for code, qty, rate, template in items
				],
				"taxes": [
					{"charge_type": "On Net Total", "account_head": acc, "rate": rate, "description": acc}
					for acc, rate in taxes
				],
				**fields,
			}
		).insert(ignore_permissions=True)
		doc.submit()
		return doc

	def test_a_21_percent_invoice_books_debtor_revenue_and_vat(self):
		doc = self.invoice(
			[(ITEMS[0], 2, 50.0, None), (ITEMS[1], 1, 100.0, None)], [(self.accounts["vat21"], 21)]
		)
		self.assertEqual(self.book(doc), ["Success"])
		self.assertEqual(len(self.entries()), 1)
		header, lines = self.lines()
		posting = getdate(doc.posting_date)
		self.assertEqual(
			header["Fields"], {"Year": posting.year, "Peri": posting.month, "UnId": 1, "JoCo": "20"}
		)
		got = {(line["VaAs"], line["AcNr"]): line for line in lines}
		self.assertEqual(got[("2", self.debtor)]["AmDe"], 242.0)
		self.assertEqual((got[("1", "8000")]["AmCr"], got[("1", "8000")]["VaId"]), (200.0, "1"))
		self.assertEqual((got[("1", "1510")]["AmCr"], got[("1", "1510")]["VaId"]), (42.0, "1"))
		self.assertTrue(all(line["BpNr"] == doc.name for line in lines))
		self.assertEqual(len({line["InId"] for line in lines}), 1)
		number = frappe.db.get_value(
			LINK, {"mapping": self.ledgers["Sales Invoice"], "reference_name": doc.name}, "afas_key"
		)
		self.assertRegex(number, r"^1/\d+$", "administration/entry: AFAS numbers entries per administration")
		booked = [
			r for r in self.sim.rows("Profit_Transactions") if f"{r['UnitId']}/{r['EntryNo']}" == number
		]
		self.assertEqual({r["VoucherNo"] for r in booked}, {doc.name})
		record_scenario("ledger: sales invoice booked once", 1, 0, len(self.entries()) - 1)

	def test_a_booking_sent_once_shows_one_attempt(self):
		# Issue 26 §4: the look-ups around the POST (is this voucher booked already?) are not attempts
		doc = self.invoice([(ITEMS[0], 1, 80.0, None)], [(self.accounts["vat21"], 21)])
		self.assertEqual(self.book(doc), ["Success"])
		calls = [r for r in self.sim.requests if r.connector in ("FiEntries", "Profit_Transactions")]
		self.assertGreater(len(calls), 1, "the booking was looked up before it was sent")
		log = frappe.get_all(
			LOG,
			filters={"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]},
			fields=["status", "attempts"],
		)
		self.assertEqual([(r.status, r.attempts) for r in log], [("Success", 1)])

	def test_21_and_9_percent_and_reverse_charge(self):
		doc = self.invoice(
			[(ITEMS[0], 1, 100.0, f"NL 21% - {ABBR}"), (ITEMS[1], 1, 50.0, f"NL 9% - {ABBR}")],
			[(self.accounts["vat21"], 21), (self.accounts["vat9"], 9)],
		)
		self.assertEqual(self.book(doc), ["Success"])
		_header, lines = self.lines()
		revenue = sorted((line["AmCr"], line["VaId"]) for line in lines if line["AcNr"] == "8000")
		self.assertEqual(revenue, [(50.0, "2"), (100.0, "1")])
		vat = sorted((line["AmCr"], line["VaId"]) for line in lines if line["AcNr"] == "1510")
		self.assertEqual(vat, [(4.5, "2"), (21.0, "1")])
		reverse = self.invoice([(ITEMS[0], 1, 300.0, None)], [(self.accounts["rc"], 0)])
		self.assertEqual(self.book(reverse), ["Success"])
		_header, lines = self.lines()
		self.assertEqual(
			sorted((line["AcNr"], line.get("VaId")) for line in lines),
			sorted([(self.debtor, None), ("8000", "4")]),
		)

	def test_a_foreign_currency_invoice_carries_its_currency(self):
		usd = new_customer(
			f"Ledger USD {self.token} Inc.",
			default_currency="USD",
			accounts=[{"company": COMPANY, "account": self.accounts["usd"]}],
		)
		self.assertEqual(self.push(self.customers, "Customer", usd.name), ["Success"])
		self.customer = usd
		doc = self.invoice(
			[(ITEMS[0], 1, 100.0, None)],
			[],
			currency="USD",
			conversion_rate=0.9,
			debit_to=self.accounts["usd"],
		)
		self.assertEqual(
			self.book(doc), ["Success"], frappe.db.get_value(LOG, {"reference_name": doc.name}, "error")
		)
		_header, lines = self.lines()
		party = next(line for line in lines if line["VaAs"] == "2")
		# AFAS's Rate is foreign units per unit of the administration's currency (its example "Purchase
		# with Currency": 10,000 = NOK 75,000 at 7.5): USD per EUR, the inverse of ERPNext's 0.9
		self.assertEqual(
			(party["CuId"], party["AmDc"], party["AmDe"], party["Rate"]), ("USD", 100.0, 90.0, 1.111111)
		)

	def test_a_credit_note_and_a_cancel_reverse_what_was_booked(self):
		doc = self.invoice([(ITEMS[0], 1, 100.0, None)], [(self.accounts["vat21"], 21)])
		self.assertEqual(self.book(doc), ["Success"])
		from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

		credit = make_sales_return(doc.name)
		credit.insert(ignore_permissions=True)
		credit.submit()
		self.assertEqual(self.book(credit), ["Success"])
		_header, lines = self.lines()
		debtor_line = next(line for line in lines if line["VaAs"] == "2")
		self.assertEqual(
			(debtor_line["AmDe"], debtor_line["AmCr"]), (0.0, 121.0), "the negative of the invoice"
		)
		other = self.invoice([(ITEMS[1], 1, 80.0, None)], [(self.accounts["vat21"], 21)])
		self.assertEqual(self.book(other), ["Success"])
		booked = self.lines()[1]
		other.reload()
		other.cancel()
		self.assertEqual(self.book(other), ["Success"])
		_header, reversal = self.lines()
		swap = lambda ls: sorted((line["AcNr"], line["AmCr"], line["AmDe"]) for line in ls)  # noqa: E731
		self.assertEqual(
			swap(reversal), sorted((line["AcNr"], line["AmDe"], line["AmCr"]) for line in booked)
		)
		link = frappe.db.get_value(
			LINK,
			{"mapping": self.ledgers["Sales Invoice"], "reference_name": other.name},
			["afas_key", "reversal_key"],
			as_dict=True,
		)
		self.assertTrue(link.afas_key and link.reversal_key and link.afas_key != link.reversal_key)
		from afas_connector.api import push_document

		push_document("Sales Invoice", other.name, mapping=self.ledgers["Sales Invoice"])
		self.assertEqual(self.book(other), ["Success"])
		self.assertEqual(
			len([r for r in self.entries() if r.status < 400]), 4, "nothing booked twice, nothing deleted"
		)

	def test_a_purchase_invoice_a_payment_and_a_journal_entry(self):
		from afas_connector.devtools.samples import upsert_mapping  # noqa: F401 (keeps the import cheap)

		supplier = frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": f"Ledger Supplier {self.token}",
				"supplier_group": "All Supplier Groups",
			}
		).insert(ignore_permissions=True)
		self.assertEqual(self.push(self.suppliers, "Supplier", supplier.name), ["Success"])
		creditor = frappe.db.get_value(
			LINK, {"mapping": self.suppliers, "reference_name": supplier.name}, "afas_key"
		)
		bill = frappe.get_doc(
			{
				"doctype": "Purchase Invoice",
				"supplier": supplier.name,
				"company": COMPANY,
				"posting_date": today(),
				"set_posting_time": 1,
				"bill_no": f"INK-{self.token}",
				"currency": "EUR",
				"conversion_rate": 1,
				"disable_rounded_total": 1,
				"items": [
					{
						"item_code": ITEMS[0],
						"qty": 1,
						"rate": 1000.0,
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
		self.assertEqual(
			self.book(bill), ["Success"], frappe.db.get_value(LOG, {"reference_name": bill.name}, "error")
		)
		header, lines = self.lines()
		self.assertEqual(header["Fields"]["JoCo"], "10")
		got = {(line["VaAs"], line["AcNr"]): line for line in lines}
		self.assertEqual(got[("3", creditor)]["AmCr"], 1210.0)
		self.assertEqual((got[("1", "4210")]["AmDe"], got[("1", "4210")]["VaId"]), (1000.0, "5"))
		self.assertEqual((got[("1", "1500")]["AmDe"], got[("1", "1500")]["VaId"]), (210.0, "5"))

		invoice = self.invoice([(ITEMS[0], 1, 100.0, None)], [(self.accounts["vat21"], 21)])
		self.assertEqual(self.book(invoice), ["Success"])
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		payment = get_payment_entry("Sales Invoice", invoice.name, bank_account=self.accounts["bank"])
		payment.reference_no, payment.reference_date = f"BANK-{self.token}", today()
		payment.insert(ignore_permissions=True)
		payment.submit()
		self.assertEqual(
			self.book(payment),
			["Success"],
			frappe.db.get_value(LOG, {"reference_name": payment.name}, "error"),
		)
		header, lines = self.lines()
		self.assertEqual(header["Fields"]["JoCo"], "50", "the bank account's journal")
		invoice_number = next(
			line["InId"] for line in self.lines(self.entries()[-2])[1] if line["VaAs"] == "2"
		)
		debtor_line = next(line for line in lines if line["VaAs"] == "2")
		self.assertEqual(
			(debtor_line["AmCr"], debtor_line["InId"]), (121.0, invoice_number), "settles that invoice"
		)

		journal = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": COMPANY,
				"posting_date": today(),
				"voucher_type": "Journal Entry",
				"user_remark": f"Rent accrual {self.token}",
				"accounts": [
					{
						"account": f"Office Rent - {ABBR}",
						"debit_in_account_currency": 500,
						"cost_center": f"Main - {ABBR}",
					},
					{"account": self.accounts["bank"], "credit_in_account_currency": 500},
				],
			}
		).insert(ignore_permissions=True)
		journal.submit()
		self.assertEqual(
			self.book(journal),
			["Success"],
			frappe.db.get_value(LOG, {"reference_name": journal.name}, "error"),
		)
		header, lines = self.lines()
		self.assertEqual(header["Fields"]["JoCo"], "90")
		self.assertEqual(
			sorted((line["AcNr"], line["AmDe"], line["AmCr"]) for line in lines),
			[("1100", 0.0, 500.0), ("4210", 500.0, 0.0)],
		)
		self.assertTrue(all(line["Ds"] == f"Rent accrual {self.token}" for line in lines), "the user remark")

	def test_blocked_period_fails_at_once_and_a_lock_is_retried(self):
		posting = getdate(today())
		self.sim.block_period(posting.year, posting.month)
		self.addCleanup(self.sim.block_period, posting.year, posting.month, 1, False)
		doc = self.invoice([(ITEMS[0], 1, 10.0, None)], [])
		self.assertEqual(self.book(doc), ["Failed"])
		error = frappe.db.get_value(
			LOG, {"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]}, "error"
		)
		self.assertRegex(error, "blocked period|geblokkeerde periode")
		self.assertEqual(len(self.entries()), 1, "sent once")
		self.sim.block_period(posting.year, posting.month, blocked=False)
		locked = self.invoice([(ITEMS[0], 1, 20.0, None)], [])
		self.sim.lock_booking_layout(times=1)
		self.assertEqual(self.book(locked), ["Success"])
		self.assertEqual([r.status for r in self.entries()[1:]], [500, 201], "the lock retried, then booked")
		# The period opened in AFAS, then Retry on the failed one: booked, once.
		from afas_connector.binding.outbox import retry

		failed = frappe.db.get_value(
			LOG, {"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]}, "name"
		)
		self.assertEqual(retry([failed])["queued"], 1)
		self.assertEqual(self.book(doc), ["Success"])
		vouchers = [r["VoucherNo"] for r in self.sim.rows("Profit_Transactions") if r["SeqNo"] == 1]
		self.assertEqual(vouchers.count(doc.name), 1)

	def test_an_invoice_waits_for_its_customer_to_reach_afas(self):
		customer = new_customer(f"Ledger {self.token} Late B.V.")  # queued, not pushed yet
		doc = self.invoice([(ITEMS[0], 1, 30.0, None)], [], customer=customer.name)
		self.assertEqual(self.book(doc), ["Retrying"])
		error = frappe.db.get_value(
			LOG, {"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]}, "error"
		)
		self.assertIn(customer.name, error)
		self.assertEqual(self.entries(), [], "nothing booked before the debtor exists")
		self.assertEqual(self.push(self.customers, "Customer", customer.name), ["Success"])
		frappe.db.set_value(
			LOG, {"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]}, "next_attempt", None
		)
		self.assertEqual(self.book(doc), ["Success"])
		debtor = frappe.db.get_value(
			LINK, {"mapping": self.customers, "reference_name": customer.name}, "afas_key"
		)
		_header, lines = self.lines()
		self.assertIn(("2", debtor), {(line["VaAs"], line["AcNr"]) for line in lines})

	def test_afas_down_while_the_entry_is_built_is_retried_and_leaks_nothing(self):
		"""The period table is read while the body is built: AFAS not answering then is a failed call
		(Retrying, later booked), not a broken body, and the Error Log holds no token."""
		from afas_connector.binding.connection import environment
		from afas_connector.binding.sync_log import log_error

		frappe.cache.delete_value(f"afas_periods::{environment()}::1")
		self.sim.faults.add(connector="Profit_periods_per_administration", kind="maintenance", times=None)
		errors_before = frappe.db.count("Error Log")
		doc = self.invoice([(ITEMS[0], 1, 13.0, None)], [])
		self.assertEqual(self.book(doc), ["Retrying"])
		self.assertEqual(self.entries(), [], "nothing booked without the period")
		self.assertEqual(frappe.db.count("Error Log"), errors_before, "an AFAS outage is no bug")
		self.sim.faults.clear()
		frappe.db.set_value(
			LOG, {"reference_name": doc.name, "mapping": self.ledgers["Sales Invoice"]}, "next_attempt", None
		)
		self.assertEqual(self.book(doc), ["Success"])
		# an unexpected error is logged with its traceback, redacted and without local variables
		token = frappe.utils.password.get_decrypted_password("AFAS Settings", "AFAS Settings", "token")
		try:
			headers = {"Authorization": f"AfasToken {token}"}  # a local, as in the client's frames
			raise RuntimeError(f"boom {len(headers)}")
		except RuntimeError as exc:
			log_error("AFAS test: redacted error", exc)
		logged = frappe.get_all(
			"Error Log",
			filters={"method": "AFAS test: redacted error"},
			pluck="error",
			order_by="creation desc",
			limit=1,
		)[0]
		self.assertIn("boom 1", logged)
		self.assertNotIn(token, logged)

	def test_a_name_given_out_again_books_only_its_own_lines(self):
		"""Frappe gives a deleted last name out again, and ERPNext keeps the deleted voucher's GL Entries."""
		gone = self.invoice([(ITEMS[0], 1, 70.0, None)], [])
		gone.cancel()
		frappe.delete_doc("Sales Invoice", gone.name, force=True, ignore_permissions=True)
		again = self.invoice([(ITEMS[0], 1, 30.0, None)], [])
		if again.name != gone.name:
			self.skipTest("this site's naming series did not give the name out again")
		self.assertTrue(frappe.db.exists("GL Entry", {"voucher_no": gone.name, "debit": 70}))
		self.assertEqual(self.book(again)[-1], "Success")
		_header, lines = self.lines()
		self.assertEqual(sorted(line["AmDe"] + line["AmCr"] for line in lines), [30.0, 30.0])

	def test_a_body_that_cannot_be_built_fails_its_row_not_the_queue(self):
		"""A bug or odd document while building one body: that row fails with the reason, the queue
		behind it goes on, and after the fix Retry books it."""
		from unittest import mock

		from afas_connector.binding import ledger
		from afas_connector.binding.outbox import drain, retry

		first = self.invoice([(ITEMS[0], 1, 11.0, None)], [])
		second = self.invoice([(ITEMS[0], 1, 12.0, None)], [])
		frappe.db.commit()
		real = ledger.build

		def build(mapping, doctype, name, **kw):
			if name == first.name:
				raise ValueError("odd document")
			return real(mapping, doctype, name, **kw)

		with mock.patch.object(ledger, "build", build):
			drain()
		status = {
			d.name: frappe.db.get_value(
				LOG,
				{"reference_name": d.name, "mapping": self.ledgers["Sales Invoice"]},
				["name", "status", "error"],
			)
			for d in (first, second)
		}
		self.assertEqual(status[second.name][1], "Success")
		self.assertEqual(status[first.name][1], "Failed")
		self.assertIn("odd document", status[first.name][2])
		self.assertEqual(retry([status[first.name][0]])["queued"], 1)
		self.assertEqual(self.book(first), ["Success"])
		self.assertEqual(
			sorted(
				r["VoucherNo"]
				for r in self.sim.rows("Profit_Transactions")
				if r["SeqNo"] == 1 and r["VoucherNo"] in (first.name, second.name)
			),
			sorted([first.name, second.name]),
		)

	def test_a_lost_answer_is_looked_up_never_booked_twice(self):
		"""Found: AFAS booked it, the answer was cut off. Not found: the request never got there."""
		from afas_connector.binding.outbox import sweep

		found = self.invoice([(ITEMS[0], 1, 30.0, None)], [])
		self.sim.faults.add(connector="FiEntries", kind="truncated", times=1, method="POST")
		self.assertEqual(self.book(found), ["Retrying"])
		later = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=2)
		sweep(now=later, inline=True)
		self.assertEqual(
			frappe.db.get_value(
				LOG, {"reference_name": found.name, "mapping": self.ledgers["Sales Invoice"]}, "status"
			),
			"Success",
		)
		booked = {
			str(r["EntryNo"]) for r in self.sim.rows("Profit_Transactions") if r["VoucherNo"] == found.name
		}
		self.assertEqual(len(booked), 1, "booked once")
		self.assertEqual(len(self.entries()), 1, "not sent again")
		lost = self.invoice([(ITEMS[0], 1, 40.0, None)], [])
		self.sim.faults.add(connector="FiEntries", kind="drop", times=1, method="POST")
		self.assertEqual(self.book(lost), ["Retrying"])
		sweep(now=later, inline=True)
		booked = {
			str(r["EntryNo"]) for r in self.sim.rows("Profit_Transactions") if r["VoucherNo"] == lost.name
		}
		self.assertEqual(len(booked), 1, "not in AFAS: sent again, once")
		record_scenario("ledger: lost answers, found and not found", 2, 0, 0)

	def test_an_unmapped_account_is_refused_at_save_by_name(self):
		doc = self.invoice([(ITEMS[0], 1, 10.0, None)], [])
		self.assertEqual(self.book(doc), ["Success"])
		spec = self.ledger("Sales Invoice", "20")
		spec["ledger_maps"] = [m for m in spec["ledger_maps"] if m["erpnext_value"] != f"Sales - {ABBR}"]
		name = f"Test Ledger Missing {self.token}"
		self.addCleanup(cleanup_mapping, name)
		with self.assertRaises(frappe.ValidationError) as info:
			make_mapping(name, **spec)
		self.assertIn(f"Sales - {ABBR}", str(info.exception))

	def test_an_invoice_number_that_does_not_fit_is_refused_clearly(self):
		mapping = frappe.get_doc("AFAS Connector Mapping", self.ledgers["Sales Invoice"])
		mapping.invoice_number_rule = "Document Name"
		mapping.save()
		doc = self.invoice([(ITEMS[0], 1, 10.0, None)], [])
		self.assertGreater(len(doc.name), 12)
		self.assertEqual(self.book(doc), ["Failed"])
		error = frappe.db.get_value(LOG, {"reference_name": doc.name, "mapping": mapping.name}, "error")
		self.assertIn("does not fit AFAS's InId", error)
		self.assertEqual(self.entries(), [])
		mapping.invoice_number_rule = "Number at the End of the Name"
		mapping.save()
		from afas_connector.api import retry_log

		retry_log(frappe.db.get_value(LOG, {"reference_name": doc.name, "mapping": mapping.name}, "name"))
		self.assertEqual(self.book(doc), ["Success"])
		self.assertLessEqual(len(self.lines()[1][0]["InId"]), 12)

	def test_ledger_maps_name_what_afas_has_and_are_labelled_from_it(self):
		from afas_connector.api import reference_values

		accounts = {v["value"]: v["description"] for v in reference_values("Account")}
		self.assertIn("8000", accounts)
		mapping = frappe.get_doc("AFAS Connector Mapping", self.ledgers["Sales Invoice"])
		self.assertEqual(
			{
				(r.afas_value, r.afas_label)
				for r in mapping.ledger_maps
				if r.kind == "Account" and r.afas_value == "8000"
			},
			{("8000", accounts["8000"])},
		)
		spec = self.ledger("Sales Invoice", "20")
		spec["ledger_maps"][0]["afas_value"] = "9999"
		name = f"Test Ledger Unknown {self.token}"
		self.addCleanup(cleanup_mapping, name)
		with self.assertRaises(frappe.ValidationError) as info:
			make_mapping(name, **spec)
		self.assertIn("AFAS has no account 9999", str(info.exception))

	# ---------------------------------------------------------------- open items back

	def test_open_amounts_and_payments_made_in_afas_show_on_the_invoices(self):
		from afas_connector.binding.pull import sync_mapping

		name = f"Test Open Items {self.token}"
		self.addCleanup(cleanup_mapping, name)
		make_mapping(
			name,
			direction="Inbound",
			mapping_type="Open Items",
			erpnext_doctype="Sales Invoice",
			ledger_mapping=self.ledgers["Sales Invoice"],
			afas_connector="",
			afas_key_field="",
			field_mappings=[],
		)
		mapping = frappe.get_doc("AFAS Connector Mapping", name)
		self.assertEqual(
			(mapping.afas_connector, mapping.afas_key_field), ("Profit_Debtor_Invoices", "InvoiceNr")
		)
		meta = frappe.get_meta("Sales Invoice")
		self.assertTrue(meta.get_field("afas_open_amount") and meta.get_field("afas_paid"))

		paid = self.invoice([(ITEMS[0], 2, 50.0, None)], [(self.accounts["vat21"], 21)])
		part = self.invoice([(ITEMS[0], 1, 200.0, None)], [(self.accounts["vat21"], 21)])
		kept = self.invoice([(ITEMS[0], 1, 10.0, None)], [])
		for doc in (paid, part, kept):
			self.assertEqual(self.book(doc), ["Success"])
		before = frappe.db.get_value(SI, paid.name, "modified")
		pushes = frappe.db.count(LOG, {"mapping": self.ledgers["Sales Invoice"]})

		log = sync_mapping(name, trigger="Manual")
		self.assertEqual(log.status, "Success", log.error)
		self.assertEqual(self.open_state(paid), (121.0, 0))
		self.assertEqual(self.open_state(part), (242.0, 0))

		# AFAS's bank journal: the first paid in full, the second in part
		self.pay_in_afas(paid, 121.0)
		self.pay_in_afas(part, 100.0)
		log = sync_mapping(name, trigger="Manual")
		self.assertEqual((log.status, log.updated, log.unchanged), ("Success", 2, 1), log.error)
		self.assertEqual(self.open_state(paid), (0.0, 1))
		self.assertEqual(self.open_state(part), (142.0, 0))
		self.assertEqual(self.open_state(kept), (10.0, 0))
		self.assertIsNotNone(frappe.db.get_value(SI, kept.name, "afas_open_checked"))
		# read-only: the invoice is not edited and nothing is pushed back
		self.assertEqual(frappe.db.get_value(SI, paid.name, "modified"), before)
		self.assertEqual(frappe.db.count(LOG, {"mapping": self.ledgers["Sales Invoice"]}), pushes)

		self.see_in_the_desk(part, "Open in AFAS", "Paid in AFAS", "142.00")

		# a paid invoice is not asked for again
		self.sim.clear_requests()
		sync_mapping(name, trigger="Manual")
		asked = " ".join(r.raw_query for r in self.sim.requests if r.connector == "Profit_Debtor_Invoices")
		self.assertNotIn(quote_number(paid.name), asked)
		self.assertIn(quote_number(kept.name), asked)

	def test_an_open_items_mapping_names_its_ledger_mapping(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Ledger"):
			make_mapping(
				f"Test Open Items Bad {self.token}",
				direction="Inbound",
				mapping_type="Open Items",
				erpnext_doctype="Sales Invoice",
				ledger_mapping=self.customers,
				afas_connector="",
				afas_key_field="",
				field_mappings=[],
			)

	def see_in_the_desk(self, doc, *words):
		"""The invoice form in headless Chromium shows AFAS's open amount (where the desk can run)."""
		from afas_connector.tests.bench.desk_browser import (
			PASSWORD,
			SCREENSHOTS,
			DeskServer,
			desk_user,
			missing,
			run_script,
		)

		if missing():
			print(f"\n  open items in the desk not looked at: {missing()}", file=sys.stderr)
			return
		user = "afas-open-items@example.com"
		desk_user(user, ["Accounts User", "AFAS Manager"])
		server = DeskServer()
		try:
			os.makedirs(SCREENSHOTS, exist_ok=True)
			result = run_script(
				"page_text.cjs",
				server.base,
				user,
				PASSWORD,
				SCREENSHOTS,
				f"/app/sales-invoice/{doc.name}={words[0]}",
			)
		finally:
			server.stop()
		self.assertTrue(result["ok"], str(result)[:2000])
		text = result["pages"][f"/app/sales-invoice/{doc.name}"]
		for word in words:
			self.assertIn(word, text)

	def open_state(self, doc):
		values = frappe.db.get_value(SI, doc.name, ["afas_open_amount", "afas_paid"])
		return (float(values[0] or 0), int(values[1] or 0))

	def pay_in_afas(self, doc, amount):
		"""A bank statement line processed in AFAS: bank debit, the debtor credited on the invoice number."""
		from afas_connector.afas import Record
		from afas_connector.binding.connection import get_client
		from afas_connector.sync.ledger import invoice_number

		day = str(getdate(today()))
		invoice = invoice_number(doc.name, "")[0]
		common = {"EnDa": day, "BpDa": day, "BpNr": f"BANK-{invoice}"}
		lines = [
			Record(fields={"VaAs": "1", "AcNr": "1100", **common, "AmDe": amount}),
			Record(fields={"VaAs": "2", "AcNr": self.debtor, **common, "InId": invoice, "AmCr": amount}),
		]
		posting = getdate(day)
		entry = Record(
			fields={"Year": posting.year, "Peri": posting.month, "UnId": 1, "JoCo": "50"},
			objects={"FiEntries": lines},
		)
		with get_client() as client:
			client.insert("FiEntries", entry, root="FiEntryPar")


SI = "Sales Invoice"


def quote_number(name):
	from afas_connector.sync.ledger import invoice_number

	return invoice_number(name, "")[0]
