"""Issue 3: AFAS Settings, Connector Mapping and Sync Log in a real bench against the simulator."""

from __future__ import annotations

import base64
import json
import socket

import frappe

from afas_connector.afas.filters import FilterSet
from afas_connector.devtools.samples import DEBTOR_TO_CUSTOMER
from afas_connector.simulator import DEMO_TOKEN
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	make_mapping,
	simulator,
)

CUSTOMER_ROWS = DEBTOR_TO_CUSTOMER


class TestAFASSettings(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def setUp(self):
		configure(self.sim)

	def assert_refused(self, message_part: str, **changes):
		settings = frappe.get_doc("AFAS Settings")
		settings.update(changes)
		with self.assertRaises(frappe.ValidationError) as info:
			settings.save()
		self.assertIn(message_part, str(info.exception))

	def test_validation_names_the_field(self):
		self.assert_refused("Environment ID", base_url="", environment_id="12ab")
		self.assert_refused("Base URL", base_url="ftp://afas.example.com")
		self.assert_refused("https", base_url="http://afas.example.com/ProfitRestServices")
		self.assert_refused("Timeout", timeout=0)
		self.assert_refused("Max Attempts", max_attempts=50)
		self.assert_refused("IntegrationId", integration_id="partner-1")
		self.assert_refused(
			"Client ID and Client Secret",
			auth_method="OAuth2 Client Credentials",
			client_id="",
			client_secret="",
		)

	def test_disabled_settings_may_be_incomplete(self):
		settings = frappe.get_doc("AFAS Settings")
		settings.update({"enabled": 0, "base_url": "", "environment_id": ""})
		settings.save()
		self.assertEqual(frappe.db.get_single_value("AFAS Settings", "enabled"), 0)

	def test_connection_success_is_stored(self):
		from afas_connector.binding.connection import test_connection

		result = test_connection()
		self.assertTrue(result["ok"], result)
		self.assertEqual(result["profit_version"], self.sim.profit_version)
		self.assertIn("12345", result["message"])
		settings = frappe.get_doc("AFAS Settings")
		self.assertEqual(settings.connection_ok, 1)
		self.assertEqual(settings.profit_version, self.sim.profit_version)
		self.assertTrue(settings.last_connection_test)

	def test_bad_token_gives_401_message(self):
		from afas_connector.binding.connection import test_connection

		configure(self.sim, token="<token><version>1</version><data>NOTTHETOKEN123</data></token>")
		result = test_connection()
		self.assertFalse(result["ok"])
		self.assertEqual(result["status"], 401)
		self.assertIn("401", result["message"])
		self.assertNotIn("NOTTHETOKEN123", result["message"])

	def test_unreachable_host_names_url_not_token(self):
		from afas_connector.binding.connection import test_connection

		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))
			port = s.getsockname()[1]
		url = f"http://127.0.0.1:{port}/ProfitRestServices"
		configure(self.sim, base_url=url, max_attempts=1)
		result = test_connection()
		self.assertFalse(result["ok"])
		self.assertIn(f"127.0.0.1:{port}", result["message"])
		for secret in (DEMO_TOKEN, base64.b64encode(DEMO_TOKEN.encode()).decode()):
			self.assertNotIn(secret, result["message"])

	def test_token_encrypted_at_rest(self):
		stored = frappe.db.get_single_value("AFAS Settings", "token")
		self.assertTrue(stored and set(stored) == {"*"}, "the document field holds asterisks only")
		row = frappe.db.sql(
			"select password from `__Auth` where doctype='AFAS Settings' and fieldname='token'", as_dict=True
		)
		self.assertTrue(row)
		self.assertNotIn("<token>", row[0].password)
		self.assertNotIn(DEMO_TOKEN.split("<data>")[1][:20], row[0].password)

	def test_every_pasted_form_of_the_token_is_stored_unchanged_and_works(self):
		"""Frappe cleans field values of HTML on save: 15 escaped ``<token>`` to ``&lt;token&gt;``, 16
		strips the tags and keeps ``1ABC…``, which AFAS refuses (401). The credential fields opt out
		(``ignore_xss_filter``): what the user pasted is what is stored, on either version."""
		from afas_connector.binding.connection import test_connection

		data = DEMO_TOKEN.split("<data>")[1].split("</data>")[0]
		forms = {
			"XML": DEMO_TOKEN,
			"XML with a trailing newline": DEMO_TOKEN + "\n",
			"base64": base64.b64encode(DEMO_TOKEN.encode()).decode(),
			"base64 with CRLF (an OTP answer)": base64.b64encode(DEMO_TOKEN.encode()).decode() + "\r\n",
			"data part": data,
		}
		for form, pasted in forms.items():
			with self.subTest(form=form):
				configure(self.sim, token=pasted)
				stored = frappe.get_doc("AFAS Settings").get_password("token")
				self.assertEqual(stored, pasted, "stored exactly as pasted")
				result = test_connection()
				self.assertTrue(result["ok"], f"{form}: {result['message']}")
		configure(self.sim)

	def test_client_secret_keeps_angle_brackets_and_ampersands(self):
		secret = "s3cr<et>&amp;<b>x</b>"
		configure(
			self.sim, auth_method="OAuth2 Client Credentials", client_id="erpnext", client_secret=secret
		)
		try:
			self.assertEqual(frappe.get_doc("AFAS Settings").get_password("client_secret"), secret)
		finally:
			configure(self.sim, auth_method="AfasToken")


class TestAFASConnectorMapping(IntegrationTestCase):
	NAME = "Test Mapping Debtors"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def tearDown(self):
		cleanup_mapping(self.NAME)

	def mapping(self, **changes):
		fields = {
			"direction": "Inbound",
			"afas_connector": "ERP_Debtors",
			"erpnext_doctype": "Customer",
			"afas_key_field": "DebtorId",
			"modified_field": "Modified",
			"field_mappings": [dict(r) for r in CUSTOMER_ROWS],
		}
		fields.update(changes)
		return fields

	def assert_refused(self, message_part: str, **changes):
		with self.assertRaises(frappe.ValidationError) as info:
			make_mapping(self.NAME, **self.mapping(**changes))
		self.assertIn(message_part, frappe.utils.strip_html(str(info.exception)))

	def test_valid_mapping_saves_and_gets_afas_labels(self):
		doc = make_mapping(self.NAME, **self.mapping())
		self.assertTrue(doc.field_mappings[0].afas_label)
		self.assertEqual(doc.field_mappings[1].afas_data_type, "boolean")

	def test_formulas_value_maps_and_defaults_keep_angle_brackets_and_ampersands(self):
		"""A formula compares (``>``), a value map's codes and a default may hold ``<``, ``>`` or ``&``:
		saved and read back unchanged, on Frappe 15 and 16 (their HTML cleaners would mangle them)."""
		rows = [dict(r) for r in CUSTOMER_ROWS]
		texts = {
			"expression": 'value if len(value) > 2 else "<short> & co"',
			"value_map": json.dumps({"<none>": "Company", "A&B": "Individual", "*": "Company"}),
			"default": "<b>AFAS</b> & ERPNext",
		}
		rows[0]["transform"], rows[0]["transform_options"] = "expression", texts["expression"]
		rows.append(
			{
				"afas_field": "City",
				"erpnext_field": "customer_details",
				"default_value": texts["default"],
			}
		)
		rows.append(
			{
				"afas_field": "VatNumber",
				"erpnext_field": "customer_type",
				"transform": "value_map",
				"transform_options": texts["value_map"],
			}
		)
		filters = json.dumps([["Name", "<", "M & <N>"]])
		make_mapping(self.NAME, **self.mapping(field_mappings=rows, filters=filters))
		doc = frappe.get_doc("AFAS Connector Mapping", self.NAME)
		by_field = {r.erpnext_field: r for r in doc.field_mappings}
		self.assertEqual(by_field["customer_name"].transform_options, texts["expression"])
		self.assertEqual(by_field["customer_type"].transform_options, texts["value_map"])
		self.assertEqual(by_field["customer_details"].default_value, texts["default"])
		self.assertEqual(doc.filters, filters)

	def test_unknown_erpnext_field(self):
		rows = [*CUSTOMER_ROWS, {"afas_field": "City", "erpnext_field": "no_such_field"}]
		self.assert_refused("no_such_field does not exist on Customer", field_mappings=rows)

	def test_incompatible_field_type(self):
		rows = [
			*CUSTOMER_ROWS,
			{"afas_field": "Modified", "erpnext_field": "customer_details", "transform": "date"},
		]
		self.assert_refused("cannot write into customer_details (Text)", field_mappings=rows)

	def test_layout_field_is_refused(self):
		rows = [*CUSTOMER_ROWS, {"afas_field": "City", "erpnext_field": "accounts"}]
		self.assert_refused("cannot hold a value", field_mappings=rows)

	def test_unknown_afas_field_from_metainfo(self):
		rows = [*CUSTOMER_ROWS, {"afas_field": "NoSuchAfasField", "erpnext_field": "website"}]
		self.assert_refused("NoSuchAfasField is not in get connector ERP_Debtors", field_mappings=rows)

	def test_unknown_afas_connector(self):
		self.assert_refused("does not know get connector", afas_connector="ERP_DoesNotExist")

	def test_match_fields_must_exist_and_be_mapped(self):
		self.assert_refused("must be written by the field mapping", erpnext_key_field="website")
		self.assert_refused("not a field of Customer", erpnext_key_field="tax_id, no_such_field")
		make_mapping(self.NAME, **self.mapping(erpnext_key_field=" tax_id ,customer_name"))
		self.assertEqual(
			frappe.db.get_value("AFAS Connector Mapping", self.NAME, "erpnext_key_field"),
			"tax_id, customer_name",
		)

	def test_bad_filters_cron_and_transform(self):
		self.assert_refused("Filters must be JSON", filters='[["Blocked", "~", 0]]')
		self.assert_refused("Cron Expression", schedule="Cron", cron_expression="every day")
		rows = [
			*CUSTOMER_ROWS,
			{
				"afas_field": "City",
				"erpnext_field": "tax_id",
				"transform": "value_map",
				"transform_options": "not json",
			},
		]
		self.assert_refused("value_map needs a JSON object", field_mappings=rows)
		rows = [
			*CUSTOMER_ROWS,
			{
				"afas_field": "City",
				"erpnext_field": "tax_id",
				"transform": "expression",
				"transform_options": "__import__('os')",
			},
		]
		self.assert_refused("unknown name '__import__'", field_mappings=rows)

	def test_afas_key_needs_an_existing_mapping(self):
		rows = [
			*CUSTOMER_ROWS,
			{
				"afas_field": "BcCo",
				"erpnext_field": "website",
				"transform": "afas_key",
				"transform_options": "No Such Mapping",
			},
		]
		self.assert_refused(
			"afas_key needs an existing mapping in Transform Options, not No Such Mapping",
			field_mappings=rows,
		)
		rows[-1] = {**rows[-1], "transform_options": ""}
		self.assert_refused("afas_key needs, in Transform Options, the mapping", field_mappings=rows)

	def test_fetch_fields_fills_table_from_metainfo(self):
		from afas_connector.api import fetch_fields

		make_mapping(self.NAME, **self.mapping(field_mappings=[CUSTOMER_ROWS[0]]))
		rows = fetch_fields(self.NAME)
		doc = frappe.get_doc("AFAS Connector Mapping", self.NAME)
		mapped = {r.afas_field: r.erpnext_field for r in doc.field_mappings}
		self.assertEqual(mapped["Name"], "customer_name")
		self.assertGreater(len(doc.field_mappings), 1)
		self.assertTrue(any(r.get("unmatched") for r in rows))
		# the key is taken as the AFAS Key Field (issue 26 §3), so it is not listed as unmatched
		self.assertEqual(doc.afas_key_field, "DebtorId")
		self.assertFalse(any(r.get("unmatched") and r["afas_field"] == "DebtorId" for r in rows))

	def test_preview_writes_nothing(self):
		from afas_connector.api import preview_mapping

		make_mapping(self.NAME, **self.mapping(filters=json.dumps([["Blocked", "=", 0]])))
		before = frappe.db.count("Customer")
		preview = preview_mapping(self.NAME, limit=3)
		self.assertEqual(len(preview["rows"]), 3)
		self.assertTrue(all(r["values"]["customer_group"] == "All Customer Groups" for r in preview["rows"]))
		self.assertTrue(all(r["values"]["disabled"] == 0 for r in preview["rows"]))
		self.assertEqual(frappe.db.count("Customer"), before)
		self.assertEqual(
			FilterSet.from_spec(json.loads(frappe.get_doc("AFAS Connector Mapping", self.NAME).filters))
			.groups[0][0]
			.field,
			"Blocked",
		)


class TestAFASSyncLog(IntegrationTestCase):
	def test_title_and_retention(self):
		from frappe.core.doctype.log_settings.log_settings import run_log_clean_up

		from afas_connector.binding.sync_log import create_log

		old = create_log(direction="Inbound", status="Success", trigger="Scheduler")
		failed = create_log(direction="Inbound", status="Failed", trigger="Scheduler")
		recent = create_log(direction="Inbound", status="Success", trigger="Scheduler")
		self.assertTrue(old.title)
		past = frappe.utils.add_days(frappe.utils.now_datetime(), -40)
		frappe.db.set_value("AFAS Sync Log", old.name, "creation", past, update_modified=False)
		frappe.db.set_value("AFAS Sync Log", failed.name, "creation", past, update_modified=False)
		frappe.db.commit()
		run_log_clean_up()  # Frappe's daily Log Settings job, with the app's default of 30 days
		row = frappe.get_single("Log Settings").get("logs_to_clear", {"ref_doctype": "AFAS Sync Log"})
		self.assertEqual([r.days for r in row], [30])
		self.assertFalse(frappe.db.exists("AFAS Sync Log", old.name))
		self.assertTrue(frappe.db.exists("AFAS Sync Log", failed.name))
		self.assertTrue(frappe.db.exists("AFAS Sync Log", recent.name))


class TestAFASBehaviourAtSave(IntegrationTestCase):
	"""Issue 14, in the desk: what a mapping holds is what AFAS accepts."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def setUp(self):
		self.name = "Test Save " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, self.name)

	def test_date_filter_values_are_stored_as_afas_wants_them(self):
		make_mapping(
			self.name,
			direction="Inbound",
			afas_connector="ERP_Debtors",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			filters=json.dumps([["Modified", ">=", "2026-05-01T10:00:00Z"], ["Blocked", "=", 0]]),
			field_mappings=[dict(r) for r in CUSTOMER_ROWS],
		)
		stored = json.loads(frappe.db.get_value("AFAS Connector Mapping", self.name, "filters"))
		self.assertEqual(stored, [["Modified", ">=", "2026-05-01T10:00:00"], ["Blocked", "=", 0]])

	def test_the_root_element_comes_from_afas_facts_and_stays_editable(self):
		make_mapping(
			self.name,
			direction="Outbound",
			afas_connector="KnSalesRelationOrg",
			erpnext_doctype="Customer",
			afas_key_field="DbId",
			field_mappings=[{"afas_field": "KnOrganisation.Nm", "erpnext_field": "customer_name"}],
		)
		self.assertEqual(
			frappe.db.get_value("AFAS Connector Mapping", self.name, "afas_root_element"),
			"KnSalesRelationOrg",
		)
		from afas_connector.afas.update import root_element

		self.assertEqual(root_element("FiEntries"), "FiEntryPar")
