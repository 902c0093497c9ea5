"""Making a mapping from scratch (issue 26 §3): constant rows without an AFAS field, Fetch Fields that
fills an outbound key, withdraws links AFAS cannot fill and names ERPNext's mandatory fields, a preview
that says "new" for an insert, and one rule for new mappings: switched off until the user enables it."""

from __future__ import annotations

import frappe

from afas_connector import api
from afas_connector.sync.mapping import CONSTANT
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	sales_masters,
	simulator,
)

NAME = "Test From Scratch Employees"


class TestMakingAMappingFromScratch(IntegrationTestCase):
	def setUp(self):
		self.sim = simulator()
		configure(self.sim)
		cleanup_mapping(NAME)

	def tearDown(self):
		cleanup_mapping(NAME)

	def employee_mapping(self, rows: list[dict], **fields) -> frappe.model.document.Document:
		doc = frappe.get_doc(
			{
				"doctype": "AFAS Connector Mapping",
				"mapping_name": NAME,
				"direction": "Inbound",
				"afas_connector": "ERP_Employees",
				"erpnext_doctype": "Employee",
				"afas_key_field": "EmployeeId",
				"modified_field": "Modified",
				**fields,
			}
		)
		for row in rows:
			doc.append("field_mappings", row)
		return doc.insert()

	def test_outbound_fetch_fields_fills_the_key_afas_marks(self):
		found = api.suggest_fields("KnPurchaseRelationOrg", "Outbound", "Supplier")
		self.assertEqual(found["key_field"], "CrId")
		self.assertNotIn("CrId", [r["afas_field"] for r in found["unmatched"]])

	def test_employee_suggestions_take_the_mandatory_dates_and_not_the_department_text(self):
		found = api.suggest_fields("ERP_Employees", "Inbound", "Employee")
		mapped = {r["afas_field"]: r["erpnext_field"] for r in found["rows"]}
		self.assertEqual(mapped["Birthdate"], "date_of_birth")
		self.assertEqual(mapped["StartDate"], "date_of_joining")
		self.assertEqual(mapped["FirstName"], "first_name")
		# AFAS's Afdeling is text ("Verkoop"), not a Department's name: no link suggested, and why
		self.assertEqual(mapped["Department"], "")
		note = next(r["note"] for r in found["unmatched"] if r["afas_field"] == "Department")
		self.assertIn("Department", note)
		self.assertEqual(found["modified_field"], "Modified")
		self.assertEqual(found["key_field"], "EmployeeId")
		unmatched = [r["afas_field"] for r in found["unmatched"]]
		self.assertNotIn("Modified", unmatched)
		self.assertNotIn("EmployeeId", unmatched)
		mandatory = [f["fieldname"] for f in found["mandatory"]]
		self.assertIn("company", mandatory)  # no AFAS field names it: the user adds a constant
		self.assertNotIn("date_of_birth", mandatory)

	def test_a_link_whose_values_are_names_stays_suggested(self):
		if not frappe.db.exists("Department", {"department_name": "AFAS Test Dept"}):
			frappe.get_doc(
				{"doctype": "Department", "department_name": "AFAS Test Dept", "company": sales_masters()}
			).insert(ignore_permissions=True)
		department = frappe.db.get_value("Department", {"department_name": "AFAS Test Dept"})
		before = {row["EmployeeId"]: row["Department"] for row in self.sim.rows("ERP_Employees")}
		for key in before:
			self.sim.update_row("ERP_Employees", key, {"Department": department})
		try:
			found = api.suggest_fields("ERP_Employees", "Inbound", "Employee")
		finally:
			for key, value in before.items():
				self.sim.update_row("ERP_Employees", key, {"Department": value})
		mapped = {r["afas_field"]: r["erpnext_field"] for r in found["rows"]}
		self.assertEqual(mapped["Department"], "department")

	def test_a_constant_row_needs_no_afas_field_and_a_new_mapping_starts_switched_off(self):
		doc = self.employee_mapping(
			[
				{"afas_field": "EmployeeId", "erpnext_field": "employee_number", "transform": "strip"},
				{"afas_field": "FirstName", "erpnext_field": "first_name"},
				{
					"afas_field": "",
					"erpnext_field": "gender",
					"transform": "constant",
					"transform_options": "Male",
				},
			]
		)
		self.assertEqual(doc.field_mappings[2].afas_field, CONSTANT)
		self.assertEqual(doc.enabled, 0, "a mapping made from scratch starts switched off")

	def test_preview_shows_no_name_for_a_row_it_would_insert(self):
		company = sales_masters()
		if not frappe.db.exists("Gender", "Male"):
			frappe.get_doc({"doctype": "Gender", "gender": "Male"}).insert(ignore_permissions=True)
		self.employee_mapping(
			[
				{"afas_field": "EmployeeId", "erpnext_field": "employee_number", "transform": "strip"},
				{"afas_field": "FirstName", "erpnext_field": "first_name"},
				{"afas_field": "LastName", "erpnext_field": "last_name"},
				{"afas_field": "Birthdate", "erpnext_field": "date_of_birth", "transform": "date"},
				{"afas_field": "StartDate", "erpnext_field": "date_of_joining", "transform": "date"},
				{
					"afas_field": "",
					"erpnext_field": "gender",
					"transform": "constant",
					"transform_options": "Male",
				},
				{
					"afas_field": "",
					"erpnext_field": "company",
					"transform": "constant",
					"transform_options": company,
				},
			]
		)
		before = frappe.db.count("Employee")
		rows = api.preview_mapping(NAME, limit=3)["rows"]
		self.assertEqual(len(rows), 3)
		self.assertEqual([r["action"] for r in rows], ["insert"] * 3, rows)
		self.assertEqual([r["document"] for r in rows], [None] * 3)
		self.assertEqual(frappe.db.count("Employee"), before)


class TestPersonalDataAtSave(IntegrationTestCase):
	def setUp(self):
		configure(simulator())
		cleanup_mapping(NAME)

	def tearDown(self):
		cleanup_mapping(NAME)

	def test_saving_an_employees_mapping_says_what_it_does_with_personal_data(self):
		"""Issue 28 §1: a warning at save (never a refusal) names the personal fields the rows read and
		those the GetConnector answers that no row reads (dropped as they are read)."""
		frappe.clear_messages()
		doc = frappe.get_doc(
			{
				"doctype": "AFAS Connector Mapping",
				"mapping_name": NAME,
				"direction": "Inbound",
				"afas_connector": "ERP_Employees",
				"erpnext_doctype": "Employee",
				"afas_key_field": "EmployeeId",
				"field_mappings": [
					{"afas_field": "EmployeeId", "erpnext_field": "employee_number"},
					{"afas_field": "Iban", "erpnext_field": "iban"},
				],
			}
		).insert()
		self.assertTrue(doc.name)
		said = " ".join(str(m) for m in frappe.get_message_log())
		self.assertIn("Iban", said)
		self.assertIn("BSN", said)  # answered by the GetConnector, read by no row: dropped
