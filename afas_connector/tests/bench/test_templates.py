"""Issue 17: every mapping template on AFAS's standard connectors, end to end in real ERPNext against
the simulator over HTTP: made from the template (switched off, checked against AFAS's metainfo), an
inbound run and a second one that changes nothing, and a push where the template has one.
Pictures and dossier attachments are in ``test_attachments.py``, export and import in
``test_transfer.py``."""

from __future__ import annotations

import frappe

from afas_connector.binding.constants import LINK, MAPPING
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.binding.pull import sync_mapping
from afas_connector.binding.push import push_pending
from afas_connector.binding.templates import create_mapping
from afas_connector.sync.templates import ORGANISATION_CODE, TEMPLATES
from afas_connector.tests.bench.fixtures import (
	COMPANY,
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	isolate_outbound,
	restore_outbound,
	sales_masters,
	simulator,
)

#: Mapping names of this module start so (cleaned up before and after).
PREFIX = "T17 "
#: What the tests answer a template's questions with.
ANSWERS = {"company": COMPANY, "article_group": "ICT", "subject_type": "5"}


def tag_names(sim, connector: str, key: str, column: str, tag: str) -> None:
	"""Append ``tag`` to every row's name (so these documents never collide with another test's),
	keeping each row's modified date."""
	for row in sim.rows(connector):
		sim.update_row(
			connector, row[key], {column: f"{row[column]} {tag}", "ModifiedDate": row["ModifiedDate"]}
		)


def drop_template_mappings() -> None:
	"""Every mapping this module made (outbound first: the inbound ones own the shared links), with the
	documents it synced, its links, logs and file links."""
	names = frappe.get_all(
		MAPPING,
		filters={"mapping_name": ["like", f"{PREFIX}%"]},
		fields=["name", "direction", "erpnext_doctype"],
	)
	for row in sorted(names, key=lambda r: r.direction != "Outbound"):
		frappe.db.delete("AFAS File Link", {"mapping": row.name})
		cleanup_mapping(row.name, row.erpnext_doctype if row.direction == "Inbound" else None)
	frappe.db.commit()
	clear_outbound_cache()


class TemplateCase(IntegrationTestCase):
	"""A fresh simulator environment, the test company, and mappings made from templates."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		cls.sim.reset_data()
		configure(cls.sim)
		sales_masters()
		drop_template_mappings()
		cls.others = isolate_outbound()
		cls.tag = frappe.generate_hash(length=5)
		tag_names(cls.sim, "Profit_Debtor", "DebtorId", "DebtorName", cls.tag)
		tag_names(cls.sim, "Profit_Creditor", "CreditorId", "CreditorName", cls.tag)
		for row in cls.sim.rows("Profit_Article"):  # item codes are names: this test's own
			cls.sim.update_row(
				"Profit_Article",
				row["ItemCode"],
				{"ItemCode": cls.code(row["ItemCode"]), "ModifiedDate": row["ModifiedDate"]},
			)
		for row in cls.sim.rows("Profit_Article_image"):
			cls.sim.update_row(
				"Profit_Article_image", row["ItemCodeId"], {"ItemCodeId": cls.code(row["ItemCodeId"])}
			)

	@classmethod
	def code(cls, item_code: str) -> str:
		"""The item code of a demo article in this test's environment."""
		return f"{item_code}-{cls.tag}"

	def tearDown(self):
		drop_template_mappings()  # each test makes its own mappings, and the documents they sync
		super().tearDown()

	@classmethod
	def tearDownClass(cls):
		drop_template_mappings()
		restore_outbound(cls.others)
		cls.sim.reset_data()
		super().tearDownClass()

	def make(self, template: str, enable: bool = True, **answers) -> str:
		result = create_mapping(template, {**ANSWERS, **answers}, f"{PREFIX}{TEMPLATES[template].title}")
		self.assertEqual(frappe.db.get_value(MAPPING, result["mapping"], "enabled"), 0, "saved switched off")
		if enable:
			frappe.db.set_value(MAPPING, result["mapping"], "enabled", 1)
		frappe.db.commit()
		clear_outbound_cache()
		return result["mapping"]

	def pull(self, mapping: str, **kwargs):
		log = sync_mapping(mapping, **kwargs)
		frappe.db.commit()
		return log

	def push(self, mapping: str, doctype: str, name: str) -> list[str]:
		outcomes = push_pending(mapping, doctype, name)
		frappe.db.commit()
		if "Failed" in outcomes:  # say why, in the test's output
			print(frappe.db.get_value("AFAS Sync Log", {"mapping": mapping, "reference_name": name}, "error"))
		return outcomes

	def links(self, mapping: str) -> dict[str, str]:
		return dict(
			frappe.get_all(
				LINK, filters={"mapping": mapping}, fields=["afas_key", "reference_name"], as_list=True
			)
		)


class TestDebtorsAndCreditors(TemplateCase):
	def test_debtors_in_then_customers_out_as_organisation_and_person(self):
		made = create_mapping("debtors-in", {}, f"{PREFIX}probe")
		self.addCleanup(cleanup_mapping, made["mapping"])
		self.assertTrue(made["checked"], made)
		cleanup_mapping(made["mapping"])

		debtors = self.make("debtors-in")
		log = self.pull(debtors)
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 30, 0), log.error)
		links = self.links(debtors)
		bakery = frappe.get_doc("Customer", links["10001"])
		self.assertEqual(bakery.customer_name, f"Bakkerij De Gouden Korenschoof B.V. {self.tag}")
		self.assertEqual((bakery.tax_id, bakery.get(ORGANISATION_CODE)), ("NL800000000B01", "1000001"))
		self.assertEqual(frappe.db.get_value("Customer", links["10011"], "disabled"), 1, "Blocked → disabled")
		again = self.pull(debtors, full=True)
		self.assertEqual((again.inserted, again.updated, again.unchanged), (0, 0, 30), "nothing changed")

		organisations = self.make("debtors-org-out")
		persons = self.make("debtors-per-out")
		self.assertEqual(frappe.db.get_value(MAPPING, organisations, "link_with"), debtors)
		from afas_connector.devtools.samples import new_customer

		company = new_customer(f"Zuiderzee Vis {self.tag} B.V.", tax_id="NL001234567B01")
		person = new_customer(f"Jansen {self.tag}", customer_type="Individual")
		frappe.db.commit()
		self.assertEqual(self.push(organisations, "Customer", company.name), ["Success"])
		self.assertEqual(self.push(persons, "Customer", person.name), ["Success"])
		self.assertEqual(self.push(organisations, "Customer", person.name), [], "the condition leaves it out")
		org_key = frappe.db.get_value(LINK, {"mapping": debtors, "reference_name": company.name}, "afas_key")
		per_key = frappe.db.get_value(LINK, {"mapping": debtors, "reference_name": person.name}, "afas_key")
		self.assertTrue(org_key and per_key and org_key != per_key, (org_key, per_key))
		stored = self.sim.records("KnSalesRelationOrg")[org_key]
		self.assertEqual(stored["KnOrganisation"]["Nm"], company.customer_name)
		self.assertEqual(stored["KnOrganisation"]["MatchOga"], "6", "a new organisation")
		self.assertEqual(
			self.sim.records("KnSalesRelationPer")[per_key]["KnPerson"]["LaNm"], person.customer_name
		)
		code = frappe.db.get_value("Customer", company.name, ORGANISATION_CODE)
		self.assertEqual(code, stored["KnOrganisation"]["BcCo"], "AFAS's new organisation number is kept")

		# AFAS's own debtor list now has both; reading it back makes no second Customer
		log = self.pull(debtors)
		self.assertEqual((log.inserted, log.failed), (0, 0), log.error)
		self.assertEqual(frappe.db.count("Customer", {"customer_name": company.customer_name}), 1)

		# a change of a Customer that came from AFAS is a PUT to its debtor, naming its organisation
		bakery.reload()
		bakery.tax_id = "NL800000000B99"
		bakery.save()
		frappe.db.commit()
		self.sim.clear_requests()
		self.assertEqual(self.push(organisations, "Customer", bakery.name), ["Success"])
		put = [r for r in self.sim.requests if r.method == "PUT"][-1].body["KnSalesRelationOrg"]["Element"]
		self.assertEqual(put["@DbId"], "10001")
		organisation = put["Objects"][0]["KnOrganisation"]["Element"]["Fields"]
		self.assertEqual((organisation["BcCo"], organisation["MatchOga"]), ("1000001", "0"))
		self.assertEqual(put["Fields"]["VaId"], "NL800000000B99")

	def test_creditors_in_and_suppliers_out(self):
		creditors = self.make("creditors-in")
		log = self.pull(creditors)
		self.assertEqual((log.status, log.inserted), ("Success", 20), log.record_errors)
		supplier = frappe.get_doc("Supplier", self.links(creditors)["20001"])
		self.assertEqual(supplier.get(ORGANISATION_CODE), "1100001")
		self.assertTrue(supplier.tax_id)
		out = self.make("creditors-org-out")
		new = frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": f"Staal {self.tag} B.V.",
				"supplier_group": "All Supplier Groups",
			}
		).insert()
		frappe.db.commit()
		self.assertEqual(self.push(out, "Supplier", new.name), ["Success"])
		key = frappe.db.get_value(LINK, {"mapping": creditors, "reference_name": new.name}, "afas_key")
		self.assertIn(key, self.sim.records("KnPurchaseRelationOrg"))
		self.assertEqual(self.pull(creditors).inserted, 0, "read back as the same Supplier")
		self.assertEqual(frappe.db.count("Supplier", {"supplier_name": new.supplier_name}), 1)

	def test_a_connector_the_app_connector_lacks_is_refused_with_afas_answer(self):
		self.sim.faults.add(connector="metainfo", kind="validation", times=None, message="Connector onbekend")
		self.addCleanup(self.sim.faults.clear)
		with self.assertRaises(frappe.ValidationError) as caught:
			create_mapping("creditors-in", {}, f"{PREFIX}refused")
		self.assertIn("Profit_Creditor", str(caught.exception))
		self.assertIn("Connector onbekend", str(caught.exception))
		self.assertFalse(frappe.db.exists(MAPPING, f"{PREFIX}refused"))
		self.sim.faults.clear()
		configure(self.sim, enabled=0)
		self.addCleanup(configure, self.sim)
		made = create_mapping("creditors-in", {}, f"{PREFIX}unchecked")
		self.assertEqual(made["checked"], False)
		self.assertIn("switched off", made["message"])


class TestArticlesContactsAddresses(TemplateCase):
	def test_articles_in_and_items_out(self):
		articles = self.make("articles-in", enable=True)
		frappe.db.set_value(MAPPING, articles, "image_field", "")  # pictures: test_attachments.py
		log = self.pull(articles)
		self.assertEqual(
			(log.status, log.inserted + log.updated, log.failed), ("Success", 25, 0), log.record_errors
		)
		bread = frappe.get_doc("Item", self.code("ART-1001"))
		self.assertEqual(
			(bread.item_name, bread.stock_uom, bread.is_stock_item), ("Volkoren brood 800g", "Nos", 1)
		)
		self.assertEqual(
			frappe.db.get_value("Item", self.code("ART-6001"), "stock_uom"), "Hour", "uur → Hour"
		)
		self.assertEqual(frappe.db.get_value("Item", self.code("ART-9999"), "disabled"), 1)
		self.assertEqual(self.pull(articles, full=True).unchanged, 25)
		out = self.make("articles-out")
		item = frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": f"T17-{self.tag}",
				"item_name": "Moer M8",
				"item_group": "All Item Groups",
				"stock_uom": "Nos",
			}
		).insert()
		frappe.db.commit()
		self.addCleanup(frappe.delete_doc, "Item", item.name, force=True, ignore_permissions=True)
		self.assertEqual(self.push(out, "Item", item.name), ["Success"])
		stored = self.sim.records("FbItemArticle")[item.name]
		self.assertEqual((stored["Grp"], stored["BiUn"], stored["Ds"]), ("ICT", "stk", "Moer M8"))
		log = self.pull(articles)
		self.assertEqual((log.inserted, log.failed), (0, 0), "read back as the same Item")

	def test_contacts_linked_to_their_customer_or_supplier(self):
		self.pull(self.make("debtors-in"))
		self.pull(self.make("creditors-in"))
		contacts = self.make("contacts-in")
		rows = self.sim.rows("Profit_Contacts")
		self.sim.add_rows(
			"Profit_Contacts",
			[
				{
					**rows[0],
					"ContactId": 3999,
					"OrgNumber": "9999999",
					"FullName": "Nemo Niemand",
					"ModifiedDate": None,
				}
			],
		)
		log = self.pull(contacts)
		self.assertEqual((log.status, log.inserted, log.failed), ("Partial", len(rows), 1), log.error)
		self.assertIn("9999999", log.record_errors)
		links = self.links(contacts)
		first = frappe.get_doc("Contact", links["3001"])
		self.assertEqual((first.first_name, first.last_name), ("Sanne", "de Jong"))
		self.assertEqual(first.email_id, "sanne.dejong@bakkerijgouden.nl")
		customer = frappe.db.get_value("Customer", {ORGANISATION_CODE: "1000001"}, "name")
		self.assertEqual(
			[(link.link_doctype, link.link_name) for link in first.links], [("Customer", customer)]
		)
		supplier_contact = next(r for r in rows if r["OrgNumber"] == "1100001")
		linked = frappe.get_doc("Contact", links[str(supplier_contact["ContactId"])]).links
		self.assertEqual([link.link_doctype for link in linked], ["Supplier"])
		# a link made in ERPNext stays when AFAS changes the contact; the e-mail is AFAS's
		first.append(
			"links",
			{"link_doctype": "Supplier", "link_name": frappe.get_all("Supplier", pluck="name", limit=1)[0]},
		)
		first.save()
		frappe.db.commit()
		self.sim.update_row("Profit_Contacts", 3001, {"MailWork": "s.dejong@bakkerijgouden.nl"})
		log = self.pull(contacts)
		self.assertEqual(log.updated, 1, log.error)
		first.reload()
		self.assertEqual(first.email_id, "s.dejong@bakkerijgouden.nl")
		self.assertEqual(len(first.email_ids), 1)
		self.assertEqual(len(first.links), 2)

	def test_addresses_linked_to_their_customer_and_supplier(self):
		debtors = self.make("debtors-in")
		self.pull(debtors)
		addresses = self.make("debtor-addresses-in")
		log = self.pull(addresses)
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 30, 0), log.error)
		address = frappe.get_doc("Address", self.links(addresses)["10001"])
		self.assertEqual(
			(address.address_line1, address.city, address.country),
			("Oudegracht 112", "3511 AB UTRECHT", "Netherlands"),
		)
		self.assertEqual(
			[(link.link_doctype, link.link_name) for link in address.links],
			[("Customer", self.links(debtors)["10001"])],
		)
		belgian = frappe.get_doc("Address", self.links(addresses)["10013"])
		self.assertEqual(belgian.country, "Belgium")
		self.assertEqual(self.pull(addresses, full=True).unchanged, 30)
		self.pull(self.make("creditors-in"))
		suppliers = self.make("creditor-addresses-in")
		log = self.pull(suppliers)
		self.assertEqual((log.status, log.inserted), ("Success", 20), log.record_errors)
		self.assertEqual(frappe.get_doc("Address", self.links(suppliers)["20010"]).country, "Germany")


class TestProjectsCostCentresLedger(TemplateCase):
	def test_projects_with_their_customer(self):
		debtors = self.make("debtors-in")
		self.pull(debtors)
		projects = self.make("projects-in")
		frappe.db.set_value(MAPPING, projects, "dossier_attachments", 0)  # test_attachments.py
		log = self.pull(projects)
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 5, 0), log.error)
		links = self.links(projects)
		first = frappe.get_doc("Project", links["P24-001"])
		self.assertEqual((first.project_name, first.company), ("P24-001 Nieuwbouw bakkerij Utrecht", COMPANY))
		self.assertEqual(first.customer, self.links(debtors)["10001"])
		self.assertEqual(str(first.expected_start_date), "2024-02-01")
		self.assertEqual(frappe.db.get_value("Project", links["P24-003"], "status"), "Completed")
		self.assertFalse(frappe.db.get_value("Project", links["P24-005"], "customer"))
		self.assertEqual(self.pull(projects, full=True).unchanged, 5)

	def test_cost_centres_under_the_company(self):
		parent = frappe.db.get_value(
			"Cost Center",
			{"company": COMPANY, "is_group": 1, "parent_cost_center": ["is", "not set"]},
			"name",
		)
		centres = self.make("cost-centres-in", parent_cost_center=parent)
		log = self.pull(centres)
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", 5, 0), log.error)
		sales = frappe.get_doc("Cost Center", self.links(centres)["200"])
		self.assertEqual(
			(sales.cost_center_number, sales.cost_center_name, sales.parent_cost_center),
			("200", "Verkoop", parent),
		)
		self.assertEqual(frappe.db.get_value("Cost Center", self.links(centres)["900"], "disabled"), 1)
		self.sim.update_row("Profit_CostCentre", "400", {"Description": "ICT en data"})
		log = self.pull(centres)
		self.assertEqual(log.updated, 1, log.error)
		self.assertEqual(
			frappe.db.get_value("Cost Center", self.links(centres)["400"], "cost_center_name"), "ICT en data"
		)

	def test_ledger_reference_data_read_whole_and_reconciled(self):
		expected = {"ledger-accounts-in": 20, "vat-codes-in": 7, "journals-in": 8, "administrations-in": 1}
		for template, count in expected.items():
			mapping = self.make(template)
			doc = frappe.get_doc(MAPPING, mapping)
			self.assertEqual((doc.modified_field, doc.deletion_mode), ("", "Full Reconcile"), template)
			log = self.pull(mapping)
			self.assertEqual(
				(log.status, log.inserted, log.failed), ("Success", count, 0), (template, log.error)
			)
			again = self.pull(mapping)
			self.assertEqual((again.rows_read, again.unchanged), (count, count), "each run reads everything")
		vat = frappe.get_doc("AFAS Reference Code", "VAT Code 2")
		self.assertEqual((vat.description, vat.rate, vat.account), ("Btw laag, verkopen 9%", 9.0, "1510"))
		self.assertEqual(
			frappe.db.get_value("AFAS Reference Code", "Journal 1 90", "description"), "Memoriaal ERPNext"
		)
		self.assertTrue(frappe.db.exists("AFAS Reference Code", "Ledger Account 1300"))
		self.assertEqual(
			frappe.db.get_value("AFAS Reference Code", "AFAS Administration 1", "description"),
			"Voorbeeld B.V.",
		)
		# a code AFAS no longer has is flagged, never deleted
		mapping = frappe.get_value(
			MAPPING, {"template": "vat-codes-in", "mapping_name": ["like", f"{PREFIX}%"]}
		)
		self.sim.delete_row("Profit_VAT_code", "6")
		log = self.pull(mapping)
		self.assertEqual(log.flagged, 1)
		self.assertTrue(frappe.db.exists("AFAS Reference Code", "VAT Code 6"))
		self.assertEqual(
			frappe.db.get_value(LINK, {"mapping": mapping, "afas_key": "6"}, "missing_in_afas"), 1
		)


def genders() -> None:
	"""ERPNext's Gender records come with its setup wizard: a test site may lack the template's two."""
	for gender in ("Male", "Female"):
		if not frappe.db.exists("Gender", gender):
			frappe.get_doc({"doctype": "Gender", "gender": gender}).insert(ignore_permissions=True)
	frappe.db.commit()


class TestEmployees(TemplateCase):
	"""Issue 28 §1: AFAS's employees, organisational units and functions; the personal-data rule."""

	def setUp(self):
		super().setUp()
		genders()

	def test_employees_in_with_termination_and_rehire_of_the_same_employee(self):
		employees = self.make("employees-in")
		rows = self.sim.rows("ERP_Employees")
		log = self.pull(employees)
		self.assertEqual((log.status, log.inserted, log.failed), ("Success", len(rows), 0), log.record_errors)
		links = self.links(employees)
		sanne = frappe.get_doc("Employee", links["1001"])
		self.assertEqual(
			(sanne.employee_number, sanne.first_name, sanne.last_name, sanne.gender, sanne.company),
			("1001", "Sanne", "de Jong", "Female", COMPANY),
		)
		self.assertEqual((str(sanne.date_of_birth), str(sanne.date_of_joining)), ("1988-04-12", "2015-03-01"))
		self.assertEqual(sanne.status, "Active")
		left = frappe.get_doc("Employee", links["1006"])
		self.assertEqual((left.status, str(left.relieving_date)), ("Left", "2024-03-31"))
		self.assertEqual(self.pull(employees, full=True).unchanged, len(rows), "nothing changed")

		# termination, then rehire: updates of the same Employee, never a second one
		self.sim.update_row("ERP_Employees", "1001", {"Status": "U", "EndDate": "2025-06-30T00:00:00Z"})
		log = self.pull(employees)
		self.assertEqual((log.inserted, log.updated, log.failed), (0, 1, 0), log.record_errors)
		sanne.reload()
		self.assertEqual((sanne.status, str(sanne.relieving_date)), ("Left", "2025-06-30"))
		self.sim.update_row(
			"ERP_Employees",
			"1001",
			{"Status": "I", "EndDate": None, "StartDate": "2025-09-01T00:00:00Z"},
		)
		log = self.pull(employees)
		self.assertEqual((log.inserted, log.updated, log.failed), (0, 1, 0), log.record_errors)
		sanne.reload()
		self.assertEqual((sanne.status, sanne.relieving_date), ("Active", None))
		self.assertEqual(str(sanne.date_of_joining), "2025-09-01")
		self.assertEqual(frappe.db.count("Employee", {"employee_number": "1001", "company": COMPANY}), 1)

	def test_departments_and_designations(self):
		departments = self.make("departments-in")
		log = self.pull(departments)
		units = self.sim.rows("ERP_OrgUnits")
		self.assertEqual((log.status, log.inserted + log.updated, log.failed), ("Success", len(units), 0))
		abbr = frappe.db.get_value("Company", COMPANY, "abbr")
		self.assertEqual(self.links(departments)["VERK"], f"Verkoop - {abbr}")
		self.assertEqual(frappe.db.get_value("Department", f"Verkoop - {abbr}", "company"), COMPANY)
		designations = self.make("designations-in")
		log = self.pull(designations)
		functions = self.sim.rows("ERP_Functions")
		self.assertEqual((log.status, log.inserted + log.updated, log.failed), ("Success", len(functions), 0))
		first = functions[0]
		self.assertEqual(self.links(designations)[first["FunctionId"]], first["Description"])
		self.assertEqual(self.pull(designations, full=True).unchanged, len(functions))

	def test_personal_values_stay_out_of_logs_previews_and_alerts(self):
		"""The template reads no personal field; a mapping that names one (IBAN here) keeps it in ERPNext
		only. Rows fail on a Department link and on a salary the value map does not know: neither the
		run's Sync Log (every field), nor a preview, nor an alert holds a BSN, IBAN or salary."""
		import json
		import re
		from unittest import mock

		from afas_connector.binding import alerts, pull
		from afas_connector.sync.personal_data import REDACTED

		employees = self.make("employees-in")
		doc = frappe.get_doc(MAPPING, employees)
		doc.append("field_mappings", {"afas_field": "Iban", "erpnext_field": "iban", "transform": "strip"})
		doc.append(
			"field_mappings",
			{"afas_field": "Department", "erpnext_field": "department", "transform": "strip"},
		)
		doc.save()
		frappe.db.commit()
		self.sim.update_row("ERP_Employees", "1002", {"Department": None})  # this one is written
		rows = self.sim.rows("ERP_Employees")
		personal = [str(r[c]) for r in rows for c in ("BSN", "Iban") if r.get(c)]
		salaries = {str(r["Salary"]) for r in rows} | {f"{float(r['Salary']):.1f}" for r in rows}

		def leaks(text: str) -> list[str]:
			found = [v for v in personal if v in text]
			found += [s for s in salaries if re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", text)]
			return found

		preview = pull.preview(frappe.get_doc(MAPPING, employees), limit=5, full=True)
		self.assertEqual(leaks(json.dumps(preview, default=str)), [])
		self.assertTrue(any(REDACTED == r["values"].get("iban") for r in preview["rows"]), preview)
		self.assertTrue(any(r["action"] == "fail" for r in preview["rows"]), "Department fails")

		log = self.pull(employees)
		self.assertEqual((log.inserted, log.failed), (1, len(rows) - 1), log.record_errors)
		self.assertIn("Department", log.record_errors)
		self.assertEqual(
			frappe.db.get_value("Employee", self.links(employees)["1002"], "iban"),
			next(r["Iban"] for r in rows if r["EmployeeId"] == "1002"),
			"a named personal field is kept in ERPNext",
		)
		# a row error that quotes a personal value: the salary, through a value map that lacks it
		doc.reload()
		doc.append(
			"field_mappings",
			{
				"afas_field": "Salary",
				"erpnext_field": "ctc",
				"transform": "value_map",
				"transform_options": '{"0": 0}',
			},
		)
		doc.save()
		frappe.db.commit()
		log = self.pull(employees, full=True)
		self.assertIn("not in the value map", log.record_errors)
		self.assertIn(REDACTED, log.record_errors)
		# a run that fails after reading a page: AFAS's last answer (a page of rows) is in the log
		with mock.patch.object(pull, "save_state", side_effect=RuntimeError("stop")):
			failed = self.pull(employees, full=True)
		self.assertEqual(failed.status, "Failed")
		alerts.evaluate_afas_alerts()
		frappe.db.commit()
		logs = frappe.get_all("AFAS Sync Log", filters={"mapping": employees}, fields=["*"])
		self.assertEqual(leaks(json.dumps(logs, default=str)), [])
		found = frappe.get_all("AFAS Alert", fields=["*"])
		self.assertEqual(leaks(json.dumps(found, default=str)), [])
		self.assertEqual(
			leaks(
				json.dumps(
					frappe.get_all("Error Log", fields=["*"], limit=20, order_by="creation desc"), default=str
				)
			),
			[],
		)

	def test_personal_data_warning_for_the_mapping_form(self):
		from afas_connector.binding.pull import personal_data_warning

		doc = frappe.get_doc(MAPPING, self.make("employees-in", enable=False))
		columns = [c for c in self.sim.rows("ERP_Employees")[0]]
		warning = personal_data_warning(doc, columns)
		self.assertIn("BSN", warning)
		self.assertIn("Iban", warning)
		self.assertNotIn("reads personal data", warning)
		doc.append("field_mappings", {"afas_field": "Iban", "erpnext_field": "iban", "transform": "strip"})
		warning = personal_data_warning(doc, columns)
		self.assertIn("reads personal data from AFAS (Iban (bank account))", warning)
