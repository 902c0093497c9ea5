"""Issue 17 in the desk, in headless Chromium (English and Dutch): New from Template on the mapping
list, and Import Mappings with its preview. Screenshots of each flow's steps are left in
``desk_browser.SCREENSHOTS``."""

from __future__ import annotations

import json
import os
import sys
import tempfile

import frappe
from frappe.utils.password import update_password

from afas_connector.binding.constants import MAPPING
from afas_connector.binding.transfer import export_mappings
from afas_connector.tests.bench.desk_browser import PASSWORD, DeskServer, missing, run_flow
from afas_connector.tests.bench.fixtures import api_user
from afas_connector.tests.bench.test_desk_flows import LABELS as FLOW_LABELS
from afas_connector.tests.bench.test_desk_flows import USERS
from afas_connector.tests.bench.test_templates import PREFIX, TemplateCase

LABELS = {
	"en": {
		**FLOW_LABELS["en"],
		"template_button": "New from Template",
		"next_label": "Next",
		"create_label": "Create",
		"import_item": "Import Mappings",
		"import_label": "Import",
		"reads_everything": "reads every row",
		"vat_title": "AFAS VAT Codes (Profit_VAT_code) → AFAS Reference Code",
		"intro": "switched off",
		"differs": "Differs",
		"overwritten": "Overwritten",
		"schedule": "Schedule",
	},
	"nl": {
		**FLOW_LABELS["nl"],
		"template_button": "Nieuw uit sjabloon",
		"next_label": "volgende",  # frappe's own words
		"create_label": "Creëren",
		"import_item": "Koppelingen importeren",
		"import_label": "Importeren",
		"reads_everything": "leest elke rij",
		"vat_title": "AFAS btw-codes (Profit_VAT_code) → AFAS-referentiecode",
		"intro": "uitgeschakeld",
		"differs": "Wijkt af",
		"overwritten": "Overschreven",
		"schedule": "Planning",  # a difference names the field as the form labels it
	},
}


class TestDeskTemplates(TemplateCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.missing = missing()
		cls.server = None
		if cls.missing:
			print(f"\ndesk template tests skipped: {cls.missing}", file=sys.stderr)
			return
		for language, user in USERS.items():
			api_user(user, ["AFAS Manager", "System Manager"])
			frappe.db.set_value("User", user, "language", language)
			update_password(user, PASSWORD)
		frappe.db.commit()
		cls.server = DeskServer()

	@classmethod
	def tearDownClass(cls):
		if cls.server:
			cls.server.stop()
		super().tearDownClass()

	def setUp(self):
		if self.missing:
			self.skipTest(self.missing)

	def flow(self, flow_name: str, language: str, **args) -> dict:
		return run_flow(self, self.server, USERS[language], language, flow_name, {**LABELS[language], **args})

	def test_new_from_template_fills_the_form_and_saves_it_switched_off(self):
		for language in ("en", "nl"):
			labels = LABELS[language]
			name = f"{PREFIX}desk VAT {language}"
			facts = self.flow(
				"new_from_template", language, template="vat-codes-in", title=labels["vat_title"], name=name
			)
			self.assertIn("debtors-in", facts["options"])
			self.assertIn(labels["reads_everything"], facts["about"])
			self.assertEqual(
				facts["doc"],
				{
					"enabled": 0,
					"template": "vat-codes-in",
					"connector": "Profit_VAT_code",
					"modified_field": "",
					"deletion_mode": "Full Reconcile",
					"rows": 7,
				},
			)
			self.assertIn(labels["intro"], facts["intro"])
			self.assertIn(labels["reads_everything"], facts["intro"])
			self.assertTrue(frappe.db.exists(MAPPING, name))

	def test_a_template_this_site_cannot_use_says_why(self):
		"""The leave templates need HRMS: without it the picker lists them, says why, and goes no further;
		with it they are offered as any other."""
		hrms = "hrms" in frappe.get_installed_apps()
		for language in ("en", "nl"):
			facts = self.flow("template_unavailable", language, template="leaves-attendance-in")
			self.assertNotEqual(facts["first"], "", "a usable template is proposed first")
			if hrms:  # offered as any other: it waits only for the employees mapping it builds on
				self.assertNotIn("HRMS (Frappe HR)", facts["about"] + facts["message"])
				self.assertNotIn("(", facts["label"].split("→")[-1], "not marked unavailable")
				self.assertTrue(facts["asked"] or "ERP_Employees" in facts["message"], facts)
				continue
			needs = {"en": "needs the HRMS (Frappe HR) app", "nl": "heeft de app HRMS (Frappe HR) nodig"}[
				language
			]
			self.assertIn(needs, facts["about"])
			self.assertIn(needs, facts["message"])
			self.assertIn({"en": "unavailable", "nl": "niet beschikbaar"}[language], facts["label"])
			self.assertFalse(facts["asked"], "no questions for a template the site cannot use")
			self.assertNotEqual(facts["first"], "leaves-in")

	def test_import_shows_what_changes_and_overwrites_only_what_is_ticked(self):
		for language in ("en", "nl"):
			labels = LABELS[language]
			kept = self.make("vat-codes-in", enable=False)
			changed = self.make("journals-in", enable=False)
			data = export_mappings([kept, changed])
			frappe.db.set_value(MAPPING, changed, "schedule", "Hourly")
			frappe.db.commit()
			path = os.path.join(tempfile.mkdtemp(), "afas-mappings.json")
			with open(path, "w", encoding="utf-8") as file:
				file.write(frappe.as_json(data))
			facts = self.flow("import_mappings", language, file=path, overwrite=[changed])
			self.assertIn(labels["differs"], facts["preview"])
			self.assertIn(f"{labels['schedule']}: Hourly → Daily", facts["preview"])
			self.assertIn(labels["overwritten"], facts["result"])
			self.assertEqual(frappe.db.get_value(MAPPING, changed, "schedule"), "Daily")
			json.dumps(facts)
			self.tearDown()
