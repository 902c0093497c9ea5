"""Issue 17: moving a configuration. Mappings exported to one JSON file and imported again: a round
trip that gives the same configuration, a preview that says what changes, no mapping overwritten unless
the caller names it, new ones arriving switched off, no state of one AFAS environment carried along;
and the template, export and import methods over real HTTP (who gets in, what a bad call answers)."""

from __future__ import annotations

import json

import frappe

from afas_connector.binding.constants import MAPPING
from afas_connector.binding.transfer import export_mappings, import_mappings, preview_import
from afas_connector.sync.templates import ORGANISATION_CODE
from afas_connector.tests.bench.fixtures import api_user, site_server
from afas_connector.tests.bench.test_templates import PREFIX, TemplateCase, drop_template_mappings


def configuration(data: dict) -> dict:
	"""An export without what is the site's own (when, where, whether switched on)."""
	return {m["mapping_name"]: {k: v for k, v in m.items() if k != "enabled"} for m in data["mappings"]}


class TestExportImport(TemplateCase):
	def test_round_trip_with_a_preview_and_no_silent_overwrite(self):
		debtors = self.make("debtors-in")
		self.pull(debtors)  # state that must not travel: watermark, links
		out = self.make("debtors-org-out")
		contacts = self.make("contacts-in")
		projects = self.make("projects-in")
		names = [debtors, out, contacts, projects]
		exported = json.loads(frappe.as_json(export_mappings(names)))
		self.assertEqual(exported["format"], "afas_connector.mappings")
		self.assertEqual([m["mapping_name"] for m in exported["mappings"]], names)
		for mapping in exported["mappings"]:
			for state in ("watermark", "sync_state", "last_run", "field_map_hash", "full_sync_pending"):
				self.assertNotIn(state, mapping)
		self.assertIn(
			("Customer", ORGANISATION_CODE), {(f["dt"], f["fieldname"]) for f in exported["custom_fields"]}
		)

		# the other site: one mapping gone, one changed by hand, one the same
		for name in (projects, out):
			frappe.delete_doc(MAPPING, name, force=True)
		changed = frappe.get_doc(MAPPING, contacts)
		changed.field_mappings[2].transform = "upper"
		changed.save()
		frappe.db.commit()
		preview = preview_import(exported)
		actions = {c["mapping"]: c for c in preview["changes"]}
		self.assertEqual(
			{name: c["action"] for name, c in actions.items()},
			{debtors: "same", out: "new", contacts: "update", projects: "new"},
		)
		(difference,) = actions[contacts]["differences"]
		self.assertEqual(difference["field"], "field_mappings")
		self.assertEqual(difference["current"], ["Name → company_name (upper)"])
		self.assertEqual(difference["incoming"], ["Name → company_name (strip)"])
		self.assertEqual(preview["problems"], [])

		result = import_mappings(exported)
		frappe.db.commit()
		self.assertEqual(sorted(result["created"]), sorted([out, projects]))
		self.assertEqual(result["unchanged"], [debtors])
		self.assertEqual([s["mapping"] for s in result["skipped"]], [contacts])
		self.assertEqual(
			frappe.get_doc(MAPPING, contacts).field_mappings[2].transform, "upper", "not overwritten"
		)
		self.assertEqual(
			frappe.db.get_value(MAPPING, projects, "enabled"), 0, "an imported mapping is switched off"
		)
		self.assertEqual(frappe.db.get_value(MAPPING, out, "link_with"), debtors)
		self.assertFalse(frappe.db.get_value(MAPPING, projects, "sync_state"))

		result = import_mappings(exported, overwrite=[contacts])
		frappe.db.commit()
		self.assertEqual(result["updated"], [contacts])
		self.assertEqual(
			configuration(export_mappings(names)), configuration(exported), "the same configuration"
		)
		self.assertEqual(frappe.db.get_value(MAPPING, debtors, "enabled"), 1, "a mapping's own switch stays")

	def test_a_file_that_names_a_missing_mapping_imports_nothing(self):
		debtors = self.make("debtors-in")
		projects = self.make("projects-in")
		exported = json.loads(frappe.as_json(export_mappings([projects])))
		exported["mappings"][0]["mapping_name"] = f"{PREFIX}elsewhere"
		frappe.delete_doc(MAPPING, projects, force=True)
		for row in exported["mappings"][0]["field_mappings"]:
			if row["transform"] == "afas_key":
				row["transform_options"] = f"{PREFIX}no such mapping"
		preview = preview_import(exported)
		self.assertEqual(len(preview["problems"]), 1, preview)
		self.assertIn("no such mapping", preview["problems"][0])
		with self.assertRaises(frappe.ValidationError):
			import_mappings(exported)
		self.assertFalse(frappe.db.exists(MAPPING, f"{PREFIX}elsewhere"))
		self.assertTrue(frappe.db.exists(MAPPING, debtors))
		for bad in ("not json", json.dumps({"format": "something else", "mappings": []})):
			with self.assertRaises(frappe.ValidationError):
				preview_import(bad)


class TestTemplateAndTransferAPI(TemplateCase):
	ENDPOINTS = [
		("get_mapping_templates", "GET", {}),
		(
			"new_mapping_from_template",
			"POST",
			{"template": "vat-codes-in", "mapping_name": f"{PREFIX}API VAT"},
		),
		("export_mappings", "GET", {}),
		("preview_mapping_import", "POST", {"data": "{}"}),
		("import_mappings", "POST", {"data": "{}"}),
	]

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = site_server()
		cls.manager = api_user("afas-manager@example.com", ["AFAS Manager"])
		cls.plain = api_user("afas-plain@example.com", ["Sales User"])

	def setUp(self):
		frappe.cache.delete_keys("rl:")

	def test_only_managers_get_in(self):
		for method, http, params in self.ENDPOINTS:
			for auth in (self.plain, None):
				response = self.server.call(f"afas_connector.api.{method}", http, auth=auth, **params)
				self.assertEqual(response.status_code, 403, f"{method}: {response.text[:300]}")

	def test_a_manager_makes_exports_and_imports_over_http(self):
		call = self.server.call
		templates = call("afas_connector.api.get_mapping_templates", "GET", auth=self.manager).json()[
			"message"
		]
		vat = next(t for t in templates if t["id"] == "vat-codes-in")
		self.assertTrue(vat["reads_everything"])
		projects = next(t for t in templates if t["id"] == "projects-in")
		self.assertEqual(projects["waiting_for"], ["AFAS Debtors (Profit_Debtor) → Customer"])
		made = call(
			"afas_connector.api.new_mapping_from_template",
			auth=self.manager,
			template="vat-codes-in",
			mapping_name=f"{PREFIX}API VAT",
		)
		self.assertEqual(made.status_code, 200, made.text[:500])
		self.assertEqual(made.json()["message"]["mapping"], f"{PREFIX}API VAT")
		self.assertTrue(made.json()["message"]["checked"], made.json())
		missing = call(
			"afas_connector.api.new_mapping_from_template", auth=self.manager, template="projects-in"
		)
		self.assertEqual(missing.status_code, 417)
		self.assertIn("AFAS Debtors", missing.text)
		unknown = call("afas_connector.api.new_mapping_from_template", auth=self.manager, template="nope")
		self.assertEqual(unknown.status_code, 404)

		exported = call(
			"afas_connector.api.export_mappings",
			"GET",
			auth=self.manager,
			names=json.dumps([f"{PREFIX}API VAT"]),
		)
		self.assertEqual(exported.status_code, 200, exported.text[:500])
		data = exported.json()["message"]
		preview = call("afas_connector.api.preview_mapping_import", auth=self.manager, data=json.dumps(data))
		self.assertEqual(preview.json()["message"]["changes"][0]["action"], "same")
		imported = call("afas_connector.api.import_mappings", auth=self.manager, data=json.dumps(data))
		self.assertEqual(imported.json()["message"]["unchanged"], [f"{PREFIX}API VAT"])
		empty = call("afas_connector.api.import_mappings", auth=self.manager)
		self.assertEqual(empty.status_code, 417)
		self.assertIn("data", empty.text)
		bad = call("afas_connector.api.preview_mapping_import", auth=self.manager, data="{}")
		self.assertEqual(bad.status_code, 417)
		frappe.db.commit()
		drop_template_mappings()
