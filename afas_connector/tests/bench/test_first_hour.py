"""The first hour of a new user (issue 26): the demo on the chart a Dutch company picks and on a site
without a Company, a demo that serves without holding a transaction and reruns without churn; queued
work that says when nothing will run it; the CLI on a mapping that is switched off."""

from __future__ import annotations

from unittest.mock import patch

import frappe

from afas_connector.devtools import demo
from afas_connector.devtools.demo import DEMO_CUSTOMER, LEDGER_MAPPING, run_demo
from afas_connector.devtools.samples import INBOUND, OUTBOUND, sales_order_mapping
from afas_connector.tests.bench.fixtures import IntegrationTestCase

#: ERPNext's name of the Dutch chart (verified/nl_grootboekschema.json), which the setup wizard offers
#: a company in the Netherlands; it leaves the Company's Default Income Account empty.
DUTCH_CHART = "Netherlands - Grootboekschema"
DUTCH_COMPANY = "AFAS Demo NL B.V."


def dutch_company() -> str:
	if not frappe.db.exists("Company", DUTCH_COMPANY):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": DUTCH_COMPANY,
				"abbr": "ADNL",
				"country": "Netherlands",
				"default_currency": "EUR",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": DUTCH_CHART,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
	return DUTCH_COMPANY


def demo_mappings() -> list[str]:
	return [spec["mapping_name"] for spec in INBOUND] + [
		OUTBOUND["mapping_name"],
		sales_order_mapping(OUTBOUND["mapping_name"])["mapping_name"],
		LEDGER_MAPPING,
	]


class TestDemoOnEveryChart(IntegrationTestCase):
	def run_on(self, company: str | None) -> str:
		lines: list[str] = []
		with patch.object(demo, "demo_company", return_value=company):
			run_demo(port=0, echo=lines.append)
		return "\n".join(lines)

	def test_dutch_chart_books_the_invoice_on_an_income_account_of_its_chart(self):
		company = dutch_company()
		self.assertFalse(frappe.db.get_value("Company", company, "default_income_account"))
		output = self.run_on(company)
		self.assertNotIn("Traceback", output)
		self.assertRegex(output, r"POST FbSales: Success")
		self.assertRegex(
			output,
			r"POST FiEntries: Success, AFAS entry \d+/\d+ \(debtor \d+ D 37.50, account 8000 C 37.50\)",
		)
		invoice = frappe.get_all(
			"Sales Invoice",
			filters={"company": company, "docstatus": 1},
			fields=["name", "debit_to"],
			order_by="creation desc",
			limit=1,
		)[0]
		income = frappe.db.get_value("Sales Invoice Item", {"parent": invoice.name}, "income_account")
		self.assertEqual(
			frappe.db.get_value("Account", income, ["company", "root_type"]), (company, "Income")
		)
		self.assertEqual(frappe.db.get_value("Account", invoice.debit_to, "account_type"), "Receivable")

	def test_no_company_skips_the_order_and_invoice_in_one_sentence(self):
		output = self.run_on(None)
		self.assertIn(
			"push: Sales Order skipped (this site has no Company yet: finish ERPNext's setup wizard)", output
		)
		self.assertIn("ledger: Sales Invoice skipped (this site has no Company yet", output)
		self.assertRegex(output, r"KnSalesRelationOrg: Success")

	def test_a_failing_step_is_one_line_and_the_demo_goes_on(self):
		with patch.object(
			demo, "income_account", side_effect=frappe.ValidationError("Account None does not exist")
		):
			output = self.run_on(demo.demo_company())
		self.assertIn("ledger: Sales Invoice skipped (ValidationError: Account None does not exist)", output)
		self.assertRegex(output, r"POST FbSales: Success")

	def test_serving_holds_no_transaction_open(self):
		"""No statement but Frappe's ``commit`` / ``rollback`` / ``start transaction`` between the demo's
		last read and its sleep: InnoDB takes a snapshot and locks only at a transaction's first statement."""
		db = frappe.db
		real_sql = db.sql
		last = []

		def sql(query, *args, **kwargs):
			last[:] = [str(query).strip().split(None, 1)[0].lower()]
			return real_sql(query, *args, **kwargs)

		seen = []

		def sleep(seconds):
			seen.extend(last)
			raise KeyboardInterrupt

		lines: list[str] = []
		with patch.object(db, "sql", sql), patch.object(demo.time, "sleep", sleep):
			run_demo(port=0, serve=True, echo=lines.append)
		self.assertIn(
			seen[0], ("commit", "rollback", "start"), "a demo left serving holds no locks nor a snapshot"
		)
		self.assertIn("Simulator still serving", "\n".join(lines))

	def test_a_failing_step_still_serves(self):
		served = []
		with (
			patch.object(demo, "_push_demo_customer", side_effect=RuntimeError("boom")),
			patch.object(demo, "serve_until_interrupted", lambda url, echo: served.append(url)),
		):
			lines: list[str] = []
			run_demo(port=0, serve=True, echo=lines.append)
		self.assertEqual(len(served), 1)
		self.assertIn("push: Customer skipped (RuntimeError: boom)", lines)

	def test_a_rerun_changes_no_mapping_and_adds_no_documents(self):
		run_demo(port=0, echo=lambda text: None)
		mappings = demo_mappings()
		rows = {
			m: frappe.get_all("AFAS Field Mapping", filters={"parent": m}, pluck="name") for m in mappings
		}
		versions = frappe.db.count(
			"Version", {"ref_doctype": "AFAS Connector Mapping", "docname": ["in", mappings]}
		)
		modified = {m: frappe.db.get_value("AFAS Connector Mapping", m, "modified") for m in mappings}
		customer = frappe.db.get_value("Customer", {"customer_name": DEMO_CUSTOMER}, "name")
		counts = [frappe.db.count(d, {"customer": customer}) for d in ("Sales Order", "Sales Invoice")]
		customers = frappe.db.count("Customer")
		lines: list[str] = []
		run_demo(port=0, echo=lines.append)
		output = "\n".join(lines)
		self.assertRegex(output, r"POST KnSalesRelationOrg: Success")
		self.assertRegex(output, r"POST FiEntries: Success")
		self.assertEqual(
			frappe.db.count(
				"Version", {"ref_doctype": "AFAS Connector Mapping", "docname": ["in", mappings]}
			),
			versions,
		)
		for m in mappings:
			self.assertEqual(
				frappe.get_all("AFAS Field Mapping", filters={"parent": m}, pluck="name"), rows[m], m
			)
			self.assertEqual(frappe.db.get_value("AFAS Connector Mapping", m, "modified"), modified[m], m)
		self.assertEqual(frappe.db.count("Customer"), customers)
		self.assertEqual(
			[frappe.db.count(d, {"customer": customer}) for d in ("Sales Order", "Sales Invoice")], counts
		)
