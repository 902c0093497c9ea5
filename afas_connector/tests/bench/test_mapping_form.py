"""Issue 27 §3 in the desk (headless Chromium, English and Dutch): the AFAS Connector Mapping form
shows only the sections of the kind being edited. An inbound Field Map never shows ledger fields or
push settings, an outbound one no schedule, a Ledger (FiEntries) mapping its maps (collapsed while it
has none) and no field rows, an Open Items mapping its ledger mapping and schedule only; the
attachment settings are collapsed until used; a mapping made from a template says which.

Needs what ``desk_browser.py`` says; skipped, with the reason, where the desk cannot run. Screenshots:
``desk_browser.SCREENSHOTS``/mapping-kinds-<language>/<kind>.png.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from typing import ClassVar

import frappe

from afas_connector.binding.constants import MAPPING
from afas_connector.binding.templates import create_mapping
from afas_connector.devtools.samples import CUSTOMER_TO_DEBTOR, DEBTOR_TO_CUSTOMER, sales_ledger_mapping
from afas_connector.tests.bench.desk_browser import PASSWORD, SCREENSHOTS, DeskTestCase, run_script
from afas_connector.tests.bench.fixtures import COMPANY, cleanup_mapping, sales_masters

USERS = {"en": "afas-kinds@example.com", "nl": "afas-kinds-nl@example.com"}
PREFIX = "T27 kinds "

LEDGER_FIELDS = {
	"customer_mapping",
	"supplier_mapping",
	"invoice_number_rule",
	"purchase_invoice_number",
	"ledger_maps",
}
PUSH_FIELDS = {
	"push_on_insert",
	"push_on_update",
	"push_on_submit",
	"push_on_cancel",
	"push_on_trash",
	"delete_action",
}
READING_FIELDS = {"order_by", "modified_field", "filters", "page_size", "deletion_mode"}
FIELD_MAP_KEYS = {"afas_key_field", "link_with", "erpnext_key_field"}
FILES_IN = {"image_field", "dossier_attachments"}
FILES_OUT = {"send_attachments"}
#: Submit Documents and One Document per Day (issue 28 §3): inbound field maps only; the day range's two
#: fields only once One Document per Day is ticked.
BOOKING = {"submit_documents", "one_per_day"}
DAY_RANGE = {"day_from_field", "day_to_field"}


def insert(name: str, **fields) -> str:
	"""A mapping as it is stored (the form is under test here, not the checks: those have their own
	tests), saved without running them."""
	cleanup_mapping(name)
	doc = frappe.get_doc({"doctype": MAPPING, "mapping_name": name, "enabled": 0, **fields})
	doc.flags.ignore_validate = True
	doc.insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def dutch() -> dict[str, str]:
	with open(frappe.get_app_path("afas_connector", "translations", "nl.csv"), encoding="utf-8") as handle:
		return {row[0]: row[1] for row in csv.reader(handle) if row}


class TestOneFormPerKind(DeskTestCase):
	desk_users: ClassVar = {USERS["en"]: (["AFAS Manager"], "en"), USERS["nl"]: (["AFAS Manager"], "nl")}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if cls.missing:
			return
		sales_masters()
		cls.names = {}
		cls.names["inbound"] = insert(
			f"{PREFIX}Debtors in",
			direction="Inbound",
			afas_connector="Profit_Debtor",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			modified_field="Modified",
			schedule="Manual Only",
			field_mappings=DEBTOR_TO_CUSTOMER,
		)
		cls.names["outbound"] = insert(
			f"{PREFIX}Debtors out",
			direction="Outbound",
			afas_connector="KnSalesRelationOrg",
			erpnext_doctype="Customer",
			afas_key_field="DbId",
			field_mappings=CUSTOMER_TO_DEBTOR,
		)
		ledger = sales_ledger_mapping(f"{PREFIX}Ledger", COMPANY, cls.names["outbound"])
		cls.names["ledger"] = insert(ledger.pop("mapping_name"), **ledger)
		cls.names["open-items"] = insert(
			f"{PREFIX}Open items",
			direction="Inbound",
			mapping_type="Open Items",
			erpnext_doctype="Sales Invoice",
			ledger_mapping=cls.names["ledger"],
			afas_connector="Profit_Debtor_Invoices",
			afas_key_field="InvoiceNr",
			schedule="Daily",
		)
		cls.names["attachments"] = insert(
			f"{PREFIX}Articles with pictures",
			direction="Inbound",
			afas_connector="Profit_Article",
			erpnext_doctype="Item",
			afas_key_field="ItemCode",
			image_field="image",
			image_connector="Profit_Article_image",
			image_record_field="ItemCodeId",
			image_id_field="Image",
			field_mappings=[{"afas_field": "Description", "erpnext_field": "item_name"}],
		)
		cls.names["per-day"] = insert(
			f"{PREFIX}Leave per day",
			direction="Inbound",
			afas_connector="Profit_Leaves",
			erpnext_doctype="Customer",  # the form's fields do not depend on the DocType (HRMS's Attendance)
			afas_key_field="LeaveId",
			submit_documents=1,
			one_per_day=1,
			day_from_field="StartDate",
			day_to_field="EndDate",
			field_mappings=[{"afas_field": "(day)", "erpnext_field": "customer_name"}],
		)
		cleanup_mapping(f"{PREFIX}VAT codes")
		cls.names["template"] = create_mapping("vat-codes-in", {}, f"{PREFIX}VAT codes")["mapping"]
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		for name in reversed(list(getattr(cls, "names", {}).values())):
			cleanup_mapping(name)
		super().tearDownClass()

	def form(self, language: str) -> dict[str, dict]:
		"""What the form shows of each kind, read by ``desk/mapping_kinds.cjs`` as the user of ``language``."""
		shots = os.path.join(SCREENSHOTS, f"mapping-kinds-{language}")
		os.makedirs(shots, exist_ok=True)
		steps = [{"kind": kind, "name": name} for kind, name in self.names.items()]
		steps.append(
			{
				"kind": "new-ledger",
				"set": {"mapping_type": "Ledger (FiEntries)", "erpnext_doctype": "Sales Invoice"},
			}
		)
		steps.append({"kind": "new-outbound", "set": {"direction": "Outbound"}})
		result = run_script(
			"mapping_kinds.cjs", self.server.base, USERS[language], PASSWORD, shots, json.dumps(steps)
		)
		print(f"\n  mapping form per kind ({language}): screenshots in {shots}", file=sys.stderr)
		self.assertTrue(result.get("ok"), f"{json.dumps(result)[:3000]} (screenshots: {shots})")
		return result["facts"]

	def check(self, facts: dict, kind: str, shows: set[str], hides: set[str]) -> None:
		fields = set(facts[kind]["fields"])
		self.assertEqual(shows - fields, set(), f"{kind}: not shown")
		self.assertEqual(hides & fields, set(), f"{kind}: shown, but not of this kind")

	def sections(self, facts: dict, kind: str) -> dict[str, dict]:
		return {s["fieldname"]: s for s in facts[kind]["sections"]}

	def test_each_kind_shows_its_own_sections_in_english_and_dutch(self):
		translated = dutch()
		for language in ("en", "nl"):
			with self.subTest(language=language):
				facts = self.form(language)
				self.check_kinds(facts)
				# the headings are in the user's language
				label = "Inbound (AFAS → ERPNext)"
				heading = self.sections(facts, "inbound")["inbound_section"]["heading"]
				self.assertEqual(heading, label if language == "en" else translated[label])

	def check_kinds(self, facts: dict) -> None:
		# an inbound field map: its rows, keys, reading and schedule; no ledger, no push settings
		self.check(
			facts,
			"inbound",
			shows={"field_mappings", "schedule", *FIELD_MAP_KEYS, *READING_FIELDS, *FILES_IN, *BOOKING},
			hides={
				*DAY_RANGE,
				*LEDGER_FIELDS,
				*PUSH_FIELDS,
				*FILES_OUT,
				"condition",
				"ledger_mapping",
				"afas_root_element",
				"template",
			},
		)
		self.check(facts, "per-day", shows={*BOOKING, *DAY_RANGE}, hides=set())
		inbound = self.sections(facts, "inbound")
		self.assertNotIn("ledger_section", inbound)
		self.assertNotIn("ledger_maps_section", inbound)
		self.assertNotIn("outbound_section", inbound)
		self.assertTrue(
			inbound["attachments_in_section"]["collapsed"], "attachment settings unused: collapsed"
		)

		# an outbound field map: push settings and Condition; no schedule, no reading, no ledger
		self.check(
			facts,
			"outbound",
			shows={
				"field_mappings",
				"condition",
				"afas_root_element",
				*PUSH_FIELDS,
				*FIELD_MAP_KEYS,
				*FILES_OUT,
			},
			hides={
				*LEDGER_FIELDS,
				*READING_FIELDS,
				*FILES_IN,
				*BOOKING,
				"schedule",
				"ledger_mapping",
				"template",
			},
		)
		outbound = self.sections(facts, "outbound")
		self.assertNotIn("inbound_section", outbound)
		self.assertTrue(outbound["attachments_out_section"]["collapsed"])

		# a ledger mapping: its maps and parties, and the Condition; no field rows, keys, push switches
		self.check(
			facts,
			"ledger",
			shows={"ledger_maps", "customer_mapping", "supplier_mapping", "invoice_number_rule", "condition"},
			hides={
				"field_mappings",
				"schedule",
				"ledger_mapping",
				"purchase_invoice_number",  # a Sales Invoice has its own number
				*PUSH_FIELDS,
				*READING_FIELDS,
				*FIELD_MAP_KEYS,
				*FILES_IN,
				*FILES_OUT,
			},
		)
		self.assertFalse(
			self.sections(facts, "ledger")["ledger_maps_section"]["collapsed"], "maps in use: open"
		)
		self.assertLessEqual({"direction", "afas_connector"}, set(facts["ledger"]["read_only"]))
		# a new one: Outbound, its maps collapsed until it has some
		self.assertEqual(facts["new-ledger"]["doc"]["direction"], "Outbound")
		self.assertTrue(self.sections(facts, "new-ledger")["ledger_maps_section"]["collapsed"])
		self.check(
			facts,
			"new-ledger",
			shows={"ledger_maps", "customer_mapping"},
			hides={"field_mappings", *PUSH_FIELDS},
		)

		# open items: the ledger mapping whose invoices it reads, and when; nothing mapped field by field
		self.check(
			facts,
			"open-items",
			shows={"ledger_mapping", "schedule", "afas_connector"},
			hides={
				"field_mappings",
				"condition",
				"on_erpnext_delete",
				*LEDGER_FIELDS,
				*PUSH_FIELDS,
				*READING_FIELDS,
				*FIELD_MAP_KEYS,
				*FILES_IN,
				*FILES_OUT,
			},
		)
		self.assertIn("afas_connector", facts["open-items"]["read_only"])
		# the intro's "<connector> has no modified-date field" is about a field map's watermark
		self.assertNotIn(
			"Profit_Debtor_Invoices", facts["open-items"]["intro"], "open items have none to miss"
		)
		self.assertIn("Profit_VAT_code", facts["template"]["intro"], "a field map without one is told")

		# pictures from AFAS: the attachment settings open, with what pictures need
		attachments = self.sections(facts, "attachments")
		self.assertFalse(
			attachments["attachments_in_section"]["collapsed"], "attachment settings in use: open"
		)
		self.check(
			facts,
			"attachments",
			shows={"image_field", "image_connector", "image_record_field", "image_id_field"},
			hides={*LEDGER_FIELDS, *PUSH_FIELDS, "subject_connector"},
		)

		# made from a template: it says which, read-only; otherwise an inbound field map
		self.check(
			facts,
			"template",
			shows={"template", "field_mappings", "schedule"},
			hides={*LEDGER_FIELDS, *PUSH_FIELDS, "ledger_mapping"},
		)
		self.assertIn("template", facts["template"]["read_only"])

		# a new outbound mapping is a field map: no ledger fields until the type says Ledger
		self.check(facts, "new-outbound", shows={"field_mappings", *PUSH_FIELDS}, hides=LEDGER_FIELDS)

		# no kind but the ledger shows a ledger field
		for kind, shown in facts.items():
			if "ledger" not in kind:
				self.assertEqual(LEDGER_FIELDS & set(shown["fields"]), set(), kind)
