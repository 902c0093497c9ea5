"""Issue 28 §4: the payroll journal back. AFAS Payroll's entries (the simulator's journal 60 in
Profit_Transactions_Allocated) are booked as submitted Journal Entries, one per AFAS entry, exactly
once, with the Ledger mapping's maps used in reverse; an unmapped account or a closed ERPNext period is
a Failed row that a later run books after the fix; what the app booked into AFAS itself is never read
back."""

from __future__ import annotations

import json

import frappe
from frappe.utils import getdate

from afas_connector.binding.pull import sync_mapping
from afas_connector.binding.push import push_pending
from afas_connector.tests.bench.fixtures import (
	COMPANY,
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	make_mapping,
	simulator,
)
from afas_connector.tests.bench.test_ledger import ABBR, account, ledger_masters

LOG = "AFAS Sync Log"
LINK = "AFAS Record Link"
MAPPING = "AFAS Connector Mapping"
KIND = "Journal Entries (AFAS → ERPNext)"
YEAR = getdate().year - 1 if getdate().month < 4 else getdate().year


def payroll_entries(first: int, periods: tuple[int, ...] = (1, 2), gross: float = 30000.0) -> tuple:
	"""AFAS Payroll's monthly entries (numbers from ``first``), as ``sim.load_payroll`` takes them."""
	entries = []
	for offset, period in enumerate(periods):
		amount = gross + 500 * offset
		entries.append(
			(
				first + offset,
				period,
				(
					("4100", amount, 0.0, "200", f"Brutolonen {period}"),
					("4110", amount / 5, 0.0, "300", f"Werkgeverslasten {period}"),
					("1700", 0.0, amount * 0.4, None, f"Loonheffing {period}"),
					("1710", 0.0, amount * 0.8, None, f"Nettolonen {period}"),
				),
			)
		)
	return tuple(entries)


def remove_journal_entries() -> None:
	"""Cancel and delete the Journal Entries these tests booked (by their remarks), so no other bench
	test's Ledger mapping of Journal Entries meets their accounts."""
	names = frappe.get_all(
		"Journal Entry",
		filters={"company": COMPANY, "user_remark": ["like", "AFAS 1/%"]},
		pluck="name",
		order_by="creation desc",
	) + frappe.get_all(
		"Journal Entry",
		filters={"company": COMPANY, "user_remark": ["like", "ERPNext payroll correction%"]},
		pluck="name",
	)
	frappe.flags.afas_inbound = True  # nothing goes to AFAS for these
	try:
		for name in names:
			doc = frappe.get_doc("Journal Entry", name)
			if doc.docstatus == 1:
				doc.flags.ignore_links = True
				doc.cancel()
			frappe.delete_doc("Journal Entry", name, force=True, ignore_permissions=True)
	finally:
		frappe.flags.afas_inbound = False
	frappe.db.commit()


def reopen(period: str) -> None:
	if frappe.db.exists("Accounting Period", period):
		frappe.delete_doc("Accounting Period", period, force=True, ignore_permissions=True)
		frappe.db.commit()


class TestPayrollJournal(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		ledger_masters()
		cls.accounts = {
			"4100": account("Brutolonen", "Indirect Expenses", account_type="Expense Account"),
			"4110": account("Sociale lasten", "Indirect Expenses", account_type="Expense Account"),
			"1700": account("Af te dragen loonheffing", "Duties and Taxes", account_type="Tax"),
			"1710": account("Te betalen nettolonen", "Current Liabilities"),
		}
		if not frappe.db.exists("Cost Center", f"Payroll - {ABBR}"):
			frappe.get_doc(
				{
					"doctype": "Cost Center",
					"cost_center_name": "Payroll",
					"company": COMPANY,
					"parent_cost_center": f"{COMPANY} - {ABBR}",
				}
			).insert(ignore_permissions=True)
		cls.centres = {"200": f"Main - {ABBR}", "300": f"Payroll - {ABBR}"}
		frappe.db.commit()
		remove_journal_entries()  # left by an interrupted run

	def setUp(self):
		self.sim.reset_data()
		self.sim.faults.clear()
		self.sim.clear_requests()
		self.token = frappe.generate_hash(length=6)
		self.ledger = f"Test Payroll Ledger {self.token}"
		self.name = f"Test Payroll Journal {self.token}"
		self.addCleanup(cleanup_mapping, self.ledger)
		self.addCleanup(cleanup_mapping, self.name)
		self.addCleanup(remove_journal_entries)
		self.ledger_mapping()

	def ledger_mapping(self, skip: tuple[str, ...] = ()) -> None:
		"""The app's Ledger mapping of Journal Entries (journal 90), whose maps the payroll mapping
		reverses. Saved without its checks: they weigh every Journal Entry of the test company ever
		booked, which the other bench tests leave behind."""
		maps = [
			{"kind": "Account", "erpnext_doctype": "Account", "erpnext_value": acc, "afas_value": code}
			for code, acc in self.accounts.items()
			if code not in skip
		]
		maps += [
			{"kind": "Cost Centre", "erpnext_doctype": "Cost Center", "erpnext_value": c, "afas_value": code}
			for code, c in self.centres.items()
		]
		maps += [
			{
				"kind": "Administration",
				"erpnext_doctype": "Company",
				"erpnext_value": COMPANY,
				"afas_value": "1",
			},
			{
				"kind": "Journal",
				"erpnext_doctype": "DocType",
				"erpnext_value": "Journal Entry",
				"afas_value": "90",
			},
		]
		if frappe.db.exists(MAPPING, self.ledger):
			doc = frappe.get_doc(MAPPING, self.ledger)
			doc.set("ledger_maps", maps)
		else:
			doc = frappe.get_doc(
				{
					"doctype": MAPPING,
					"mapping_name": self.ledger,
					"enabled": 1,
					"direction": "Outbound",
					"mapping_type": "Ledger (FiEntries)",
					"afas_connector": "FiEntries",
					"afas_root_element": "FiEntryPar",
					"afas_key_field": "EnNo",
					"erpnext_doctype": "Journal Entry",
					"push_on_submit": 1,
					"push_on_cancel": 1,
					"ledger_maps": maps,
				}
			)
		doc.flags.ignore_validate = True
		doc.save(ignore_permissions=True)
		frappe.db.commit()

	def payroll_mapping(self, journals: str = "60") -> None:
		make_mapping(
			self.name,
			direction="Inbound",
			mapping_type=KIND,
			erpnext_doctype="Journal Entry",
			ledger_mapping=self.ledger,
			afas_journals=journals,
			afas_connector="",
			afas_key_field="",
			field_mappings=[],
		)

	def sync(self):
		return sync_mapping(self.name, trigger="Manual")

	def booked(self) -> dict[str, str]:
		return dict(
			frappe.get_all(
				LINK, filters={"mapping": self.name}, fields=["afas_key", "reference_name"], as_list=True
			)
		)

	def gl(self, name: str) -> list[tuple]:
		rows = frappe.get_all(
			"GL Entry",
			filters={"voucher_type": "Journal Entry", "voucher_no": name, "is_cancelled": 0},
			fields=["account", "debit", "credit", "cost_center"],
		)
		return sorted((r.account, float(r.debit), float(r.credit), r.cost_center) for r in rows)

	def afas_lines(self, number: int) -> list[tuple]:
		rows = [
			r
			for r in self.sim.rows("Profit_Transactions_Allocated")
			if str(r["EntryNo"]) == str(number) and str(r["JournalId"]) == "60"
		]
		return sorted(
			(
				self.accounts[str(r["AccountNo"])],
				float(r["AmtDebit"] or 0),
				float(r["AmtCredit"] or 0),
				# ERPNext gives a line without AFAS's cost centre the company's default
				self.centres.get(str(r.get("DimAx1") or ""), f"Main - {ABBR}"),
			)
			for r in rows
		)

	# ---------------------------------------------------------------- the normal path

	def test_two_monthly_entries_become_two_submitted_journal_entries_once(self):
		self.sim.load_payroll(payroll_entries(48101), YEAR)
		self.payroll_mapping()
		mapping = frappe.get_doc(MAPPING, self.name)
		self.assertEqual(
			(mapping.afas_connector, mapping.afas_key_field), ("Profit_Transactions_Allocated", "EntryNo")
		)
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 2, 0), log.error)
		booked = self.booked()
		self.assertEqual(sorted(booked), ["1/48101", "1/48102"])
		for number in (48101, 48102):
			je = frappe.get_doc("Journal Entry", booked[f"1/{number}"])
			self.assertEqual((je.docstatus, je.company), (1, COMPANY))
			self.assertIn(f"AFAS 1/{number}, journal 60", je.user_remark)
			self.assertEqual(self.gl(je.name), self.afas_lines(number))
		self.assertEqual(
			str(frappe.db.get_value("Journal Entry", booked["1/48101"], "posting_date")), f"{YEAR}-01-25"
		)
		# nothing is pushed back into AFAS by the Ledger mapping of Journal Entries
		self.assertFalse([r for r in self.sim.requests if r.connector == "FiEntries"])

		# a Ledger mapping of Journal Entries needs no AFAS account for what came from AFAS
		from afas_connector.binding.ledger import unmapped_accounts

		ledger = frappe.get_doc(MAPPING, self.ledger)
		ledger.set("ledger_maps", [m for m in ledger.ledger_maps if m.kind != "Account"])
		self.assertFalse(set(self.accounts.values()) & set(unmapped_accounts(ledger)))

		# a rerun books nothing twice
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.unchanged), ("Success", 0, 2), log.error)
		self.assertEqual(self.booked(), booked)

	def test_the_mapping_filters_narrow_what_a_run_reads(self):
		"""A journal grows for years: the mapping's Filters (here the entry date) bound what each run reads;
		without them every entry of the journal is read (and booked once)."""
		self.sim.load_payroll(payroll_entries(48151), YEAR)
		self.payroll_mapping()
		since = json.dumps([["EntryDate", ">=", f"{YEAR}-02-01T00:00:00"]])
		frappe.db.set_value(MAPPING, self.name, "filters", since)
		frappe.db.commit()
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.rows_read), ("Success", 1, 4), log.error)
		self.assertEqual(sorted(self.booked()), ["1/48152"])
		frappe.db.set_value(MAPPING, self.name, "filters", None)
		frappe.db.commit()
		log = self.sync()
		self.assertEqual((log.inserted, log.unchanged, log.rows_read), (1, 1, 8), log.error)
		self.assertEqual(sorted(self.booked()), ["1/48151", "1/48152"])

	def test_a_reversing_entry_is_a_new_journal_entry_referencing_the_first(self):
		self.sim.load_payroll(payroll_entries(48201, periods=(3,)), YEAR)
		self.payroll_mapping()
		self.assertEqual(self.sync().inserted, 1)
		reverse = tuple(
			(code, credit, debit, centre, f"Correctie {text}")
			for code, debit, credit, centre, text in payroll_entries(48201, periods=(3,))[0][2]
		)
		self.sim.load_payroll(((48202, 3, reverse),), YEAR)
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.unchanged), ("Success", 1, 1), log.error)
		booked = self.booked()
		first = frappe.get_doc("Journal Entry", booked["1/48201"])
		second = frappe.get_doc("Journal Entry", booked["1/48202"])
		self.assertEqual((first.docstatus, second.docstatus), (1, 1))
		self.assertEqual(second.reversal_of, first.name)
		self.assertIn("reverses AFAS 1/48201", second.user_remark)

	# ---------------------------------------------------------------- failures, then the fix

	def test_an_unmapped_account_is_a_failed_row_booked_after_the_fix(self):
		self.ledger_mapping(skip=("4110",))
		self.sim.load_payroll(payroll_entries(48301), YEAR)
		self.payroll_mapping()
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.failed), ("Failed", 0, 2), log.error)
		errors = json.loads(log.record_errors)
		self.assertEqual({e["key"] for e in errors}, {"1/48301", "1/48302"})
		self.assertIn("AFAS account 4110", errors[0]["message"])
		self.assertEqual(self.booked(), {})

		self.ledger_mapping()  # the account is mapped
		from afas_connector.api import retry_log

		retry_log(log.name)
		log = frappe.get_last_doc(LOG, filters={"mapping": self.name})
		if log.status in ("Queued", "Running"):
			log = self.sync()
		self.assertEqual((log.status, log.failed), ("Success", 0), log.error)
		self.assertEqual(sorted(self.booked()), ["1/48301", "1/48302"])

	def test_a_closed_period_is_a_failed_row_booked_once_reopened(self):
		period = f"Test Payroll Closed {self.token}"
		start, end = getdate(f"{YEAR}-04-01"), getdate(f"{YEAR}-04-30")
		for stale in frappe.get_all(
			"Accounting Period", filters={"period_name": ["like", "Test Payroll Closed%"]}, pluck="name"
		):
			reopen(stale)  # left by an interrupted run
		period = (
			frappe.get_doc(
				{
					"doctype": "Accounting Period",
					"period_name": period,
					"company": COMPANY,
					"start_date": start,
					"end_date": end,
					"closed_documents": [{"document_type": "Journal Entry", "closed": 1}],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		frappe.db.commit()
		self.addCleanup(reopen, period)
		self.sim.load_payroll(payroll_entries(48401, periods=(4,)), YEAR)
		self.payroll_mapping()
		log = self.sync()
		self.assertEqual((log.status, log.failed), ("Failed", 1), log.error)
		error = json.loads(log.record_errors)[0]
		self.assertEqual(error["key"], "1/48401")
		self.assertIn("ERPNext refused", error["message"])
		self.assertEqual(self.booked(), {})

		reopen(period)
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 1, 0), log.record_errors)
		self.assertEqual(sorted(self.booked()), ["1/48401"])

	# ---------------------------------------------------------------- the direction guard

	def test_a_journal_the_ledger_mapping_books_into_is_refused(self):
		with self.assertRaisesRegex(frappe.ValidationError, "90"):
			self.payroll_mapping("60, 90")

	def test_an_entry_the_app_booked_into_afas_is_never_read_back(self):
		self.sim.load_payroll(payroll_entries(48501), YEAR)
		je = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": COMPANY,
				"posting_date": f"{YEAR}-05-25",
				"user_remark": f"ERPNext payroll correction {self.token}",
				"accounts": [
					{
						"account": self.accounts["4100"],
						"debit_in_account_currency": 100,
						"cost_center": self.centres["200"],
					},
					{"account": self.accounts["1710"], "credit_in_account_currency": 100},
				],
			}
		)
		je.insert(ignore_permissions=True)
		je.submit()
		frappe.db.commit()
		self.assertEqual(push_pending(self.ledger, "Journal Entry", je.name), ["Success"])
		key = frappe.db.get_value(LINK, {"mapping": self.ledger, "reference_name": je.name}, "afas_key")
		self.assertTrue(key)
		# the Ledger mapping books into another journal since; its old journal 90 may now be read
		frappe.db.set_value("AFAS Ledger Map", {"parent": self.ledger, "kind": "Journal"}, "afas_value", "82")
		frappe.db.commit()
		frappe.clear_document_cache(MAPPING, self.ledger)
		self.payroll_mapping("60, 90")
		log = self.sync()
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 2, 0), log.error)
		self.assertEqual(sorted(self.booked()), ["1/48501", "1/48502"])
		self.assertIn("passed by", log.error or "")

	# ---------------------------------------------------------------- from the template

	def test_the_template_makes_a_journal_entries_mapping_that_books(self):
		from afas_connector.binding.templates import create_mapping, template_list

		self.assertIn("payroll-journal-in", {t["id"] for t in template_list()})
		result = create_mapping(
			"payroll-journal-in", {"ledger_mapping": self.ledger, "journal": "60"}, self.name
		)
		self.assertEqual(result["mapping"], self.name)
		mapping = frappe.get_doc(MAPPING, self.name)
		self.assertEqual(
			(mapping.mapping_type, mapping.ledger_mapping, mapping.afas_journals, mapping.enabled),
			(KIND, self.ledger, "60", 0),
		)
		self.sim.load_payroll(payroll_entries(48601), YEAR)
		frappe.db.set_value(MAPPING, self.name, "enabled", 1)
		frappe.db.commit()
		log = self.sync()
		self.assertEqual((log.status, log.inserted), ("Success", 2), log.error)

	def test_the_preview_says_to_run_it(self):
		from afas_connector.api import preview_mapping

		self.payroll_mapping()
		with self.assertRaisesRegex(frappe.ValidationError, "Sync Now"):
			preview_mapping(self.name)
