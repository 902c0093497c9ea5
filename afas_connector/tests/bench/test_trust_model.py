"""Issue 23 §1, §5, §6, §7: what a mapping may write and as whom, previews that never commit, a user's
save that the connector never fails, bad input as a 4xx, and what the README promises a role.

Each attack is made as the role that would try it, over HTTP where a user would, and each row of the
hardening summary (``fixtures.record_attack``) says it was attempted and refused.
"""

from __future__ import annotations

import json

import frappe
import requests

from afas_connector.devtools.sample_mappings import DEBTOR_TO_CUSTOMER
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	make_mapping,
	push_mapping,
	record_attack,
	simulator,
	site_server,
)

MAPPING = "AFAS Connector Mapping"
LINK = "AFAS Record Link"
PREFIX = "Test Trust "
MANAGER = "afas-trust-manager@example.com"
MASTER = "afas-trust-master@example.com"


def admin_password_hash() -> str:
	return frappe.db.sql(
		"select password from `__Auth` where doctype='User' and name='Administrator' and fieldname='password'"
	)[0][0]


def user_mapping_fields(name: str) -> dict:
	"""The escalation of the issue: an inbound mapping onto User that sets Administrator's password."""
	return {
		"mapping_name": name,
		"direction": "Inbound",
		"afas_connector": "ERP_Debtors",
		"erpnext_doctype": "User",
		"afas_key_field": "DebtorId",
		"schedule": "Manual Only",
		"enabled": 1,
		"field_mappings": [
			{
				"afas_field": "DebtorId",
				"erpnext_field": "name",
				"transform": "expression",
				"transform_options": "'Administrator'",
			},
			{
				"afas_field": "Name",
				"erpnext_field": "new_password",
				"transform": "expression",
				"transform_options": "'Pwned-by-a-mapping-1'",
			},
		],
	}


def debtors_mapping(name: str, **more) -> dict:
	"""An enabled inbound mapping of the simulator's debtors onto Customer, as a REST body."""
	return {
		"mapping_name": name,
		"direction": "Inbound",
		"afas_connector": "ERP_Debtors",
		"erpnext_doctype": "Customer",
		"afas_key_field": "DebtorId",
		"schedule": "Manual Only",
		"enabled": 1,
		"field_mappings": [dict(row) for row in DEBTOR_TO_CUSTOMER],
		**more,
	}


class TrustCase(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		cls.server = site_server()
		cls.manager = api_user(MANAGER, ["AFAS Manager"])
		cls.master = api_user(MASTER, ["AFAS Manager", "Sales Master Manager"])

	def setUp(self):
		frappe.cache.delete_keys("rl:")

	def tearDown(self):
		for name in frappe.get_all(MAPPING, filters={"name": ["like", f"{PREFIX}%"]}, pluck="name"):
			cleanup_mapping(name, "Customer")

	def rest(self, method: str, path: str, auth: tuple[str, str], body: dict | None = None, **headers):
		headers = {
			"Host": self.server.site,
			"Accept": "application/json",
			"Authorization": f"token {auth[0]}:{auth[1]}",
			**headers,
		}
		return requests.request(method, self.server.base + path, json=body, headers=headers, timeout=60)

	def call(self, method: str, auth: tuple[str, str], http: str = "POST", **params):
		return self.server.call(f"afas_connector.api.{method}", http, auth=auth, **params)

	@staticmethod
	def insert_unchecked(fields: dict) -> str:
		"""A mapping as an earlier version of the app stored it: no check ran when it was saved."""
		fields = dict(fields)
		rows = fields.pop("field_mappings")
		doc = frappe.get_doc({"doctype": MAPPING, **fields})
		for row in rows:
			doc.append("field_mappings", row)
		doc.set_new_name()
		doc.set_parent_in_children()
		doc.db_insert()
		for row in doc.field_mappings:
			row.db_insert()
		frappe.db.commit()
		return doc.name


class TestWhatAMappingMayWrite(TrustCase):
	def test_a_manager_cannot_become_administrator(self):
		before = admin_password_hash()
		name = f"{PREFIX}User"
		response = self.rest("POST", f"/api/resource/{MAPPING}", self.manager, user_mapping_fields(name))
		self.assertEqual(response.status_code, 403, response.text[:500])
		self.assertIn("grants access", response.text)
		self.assertFalse(frappe.db.exists(MAPPING, name))
		# not even Administrator may save it: the rule is about the DocType, whoever writes the mapping
		doc = frappe.get_doc({"doctype": MAPPING, **user_mapping_fields(name)})
		with self.assertRaises(frappe.PermissionError):
			doc.insert()
		self.assertEqual(admin_password_hash(), before)
		record_attack("mapping onto User (new_password) saved by an AFAS Manager", refused=True)

	def test_a_stored_user_mapping_is_refused_by_preview_and_run(self):
		from afas_connector.binding.pull import sync_mapping

		before = admin_password_hash()
		name = self.insert_unchecked(user_mapping_fields(f"{PREFIX}Old User"))
		preview = self.call("preview_mapping", self.manager, mapping=name)
		self.assertEqual(preview.status_code, 403, preview.text[:500])
		self.assertIn("grants access", preview.text)
		self.assertEqual(self.call("preview_mapping", self.manager, "GET", mapping=name).status_code, 403)
		log = sync_mapping(name, trigger="Scheduler")
		log.reload()
		self.assertEqual(log.status, "Failed")
		self.assertIn("grants access", log.error)
		self.assertEqual(log.inserted + log.updated, 0)
		frappe.db.rollback()
		self.assertEqual(admin_password_hash(), before)
		record_attack("stored mapping onto User: preview and scheduled run", refused=True)

	def test_an_imported_file_cannot_carry_it(self):
		before = admin_password_hash()
		name = f"{PREFIX}Imported User"
		data = {"format": "afas_connector.mappings", "version": 1, "mappings": [user_mapping_fields(name)]}
		response = self.call("import_mappings", self.manager, data=json.dumps(data))
		self.assertIn(response.status_code, (403, 417), response.text[:500])
		self.assertIn("grants access", response.text)
		self.assertFalse(frappe.db.exists(MAPPING, name))
		self.assertEqual(admin_password_hash(), before)
		record_attack("imported mappings file with a mapping onto User", refused=True)

	def test_fields_that_grant_access_or_hold_a_password(self):
		for doctype, field in (("Contact", "user"), ("ToDo", "allocated_to")):
			fields = {
				"direction": "Inbound",
				"afas_connector": "ERP_Debtors",
				"erpnext_doctype": doctype,
				"afas_key_field": "DebtorId",
				"schedule": "Manual Only",
				"field_mappings": [{"afas_field": "Name", "erpnext_field": field}],
			}
			with self.assertRaises(frappe.PermissionError) as caught:
				make_mapping(f"{PREFIX}{doctype}", **fields)
			self.assertIn(field, str(caught.exception))
			self.assertIn("grants access", str(caught.exception))
		for doctype in ("Role", "Server Script", "System Settings", "Custom Field", "AFAS Settings"):
			from afas_connector.binding.write_rules import doctype_refusal

			self.assertTrue(doctype_refusal(doctype), doctype)
		self.assertIsNone(doctype_refusal("Customer"))
		record_attack("mapping onto Contact.user / ToDo.allocated_to", refused=True)

	def test_a_mapping_runs_with_its_authors_permissions(self):
		from afas_connector.binding.pull import sync_mapping

		name = f"{PREFIX}Debtors"
		fields = debtors_mapping(name, page_size=10)
		refused = self.rest("POST", f"/api/resource/{MAPPING}", self.manager, fields)
		self.assertEqual(refused.status_code, 403, refused.text[:500])
		self.assertIn("may not create Customer", refused.text)
		made = self.rest("POST", f"/api/resource/{MAPPING}", self.master, fields)
		self.assertEqual(made.status_code, 200, made.text[:500])
		frappe.db.commit()  # a new snapshot: the site server committed in a connection of its own
		self.assertEqual(frappe.db.get_value(MAPPING, name, "run_as"), MASTER)
		self.sim.generate_rows("ERP_Debtors", n=3, seed=23)
		log = sync_mapping(name)
		log.reload()
		self.assertEqual((log.status, log.inserted), ("Success", 3), log.error)
		owners = frappe.get_all(
			"Customer",
			filters={
				"name": ["in", frappe.get_all("AFAS Record Link", {"mapping": name}, pluck="reference_name")]
			},
			pluck="owner",
		)
		self.assertEqual(owners, [MASTER] * 3, "written as the author: ERPNext's own checks see them")
		api_user(MASTER, ["AFAS Manager"])  # the author loses the role that let them create Customers
		frappe.clear_cache(user=MASTER)
		for row in self.sim.rows("ERP_Debtors"):
			self.sim.update_row("ERP_Debtors", row["DebtorId"], {"Name": row["Name"] + " changed"})
		log = sync_mapping(name, full=True)
		log.reload()
		self.assertEqual(log.status, "Failed", log.as_dict())
		self.assertIn(MASTER, log.error)
		self.assertIn("may not", log.error)
		api_user(MASTER, ["AFAS Manager", "Sales Master Manager"])
		record_attack("inbound run after its author lost the role", refused=True)

	def test_a_record_link_cannot_be_made_or_aimed_by_hand(self):
		"""A Record Link says which ERPNext document an AFAS record is: a run updates, amends or cancels
		that document with the mapping author's rights. An AFAS Manager can delete one (unlink), not make
		one or point one at another document."""
		from afas_connector.binding.pull import sync_mapping

		name = f"{PREFIX}Links"
		fields = debtors_mapping(name)
		master = api_user(MASTER, ["AFAS Manager", "Sales Master Manager"])  # keys of their own here
		self.assertEqual(self.rest("POST", f"/api/resource/{MAPPING}", master, fields).status_code, 200)
		frappe.db.commit()
		self.sim.generate_rows("ERP_Debtors", n=2, seed=31)
		sync_mapping(name)
		frappe.db.commit()
		links = frappe.get_all(LINK, filters={"mapping": name}, fields=["name", "afas_key", "reference_name"])
		self.assertEqual(len(links), 2)
		victim = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"{PREFIX}not from AFAS",
				"customer_group": "All Customer Groups",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		forged = self.rest(
			"POST",
			f"/api/resource/{LINK}",
			self.manager,
			{
				"mapping": name,
				"environment": frappe.db.get_value(LINK, links[0].name, "environment"),
				"afas_key": "999999",
				"reference_doctype": "Customer",
				"reference_name": victim.name,
			},
		)
		self.assertEqual(forged.status_code, 403, forged.text[:300])
		aimed = self.rest(
			"PUT", f"/api/resource/{LINK}/{links[0].name}", self.manager, {"reference_name": victim.name}
		)
		self.assertEqual(aimed.status_code, 403, aimed.text[:300])
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value(LINK, links[0].name, "reference_name"), links[0].reference_name)
		self.assertFalse(frappe.db.exists(LINK, {"reference_name": victim.name}))
		unlinked = self.rest("DELETE", f"/api/resource/{LINK}/{links[1].name}", self.manager)
		self.assertEqual(unlinked.status_code, 202, unlinked.text[:300])
		frappe.db.commit()
		self.assertFalse(frappe.db.exists(LINK, links[1].name))
		frappe.delete_doc("Customer", victim.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		record_attack("Record Link made or re-aimed by an AFAS Manager over REST", refused=True)

	def test_a_preview_can_never_commit(self):
		from afas_connector.binding.pull import PreviewWouldCommit, _PreviewGuard

		todo = frappe.get_doc({"doctype": "ToDo", "description": "preview guard " + frappe.generate_hash(6)})
		guard = _PreviewGuard()
		try:
			todo.insert(ignore_permissions=True)
			with self.assertRaises(PreviewWouldCommit):
				frappe.db.commit()
			with self.assertRaises(PreviewWouldCommit):
				frappe.db.rollback()  # a full rollback would drop the preview's savepoint
			with self.assertRaises(PreviewWouldCommit):
				frappe.db.commit()  # the guard holds for every attempt, not only the first
		finally:
			guard.lift()
			frappe.db.rollback()
		self.assertFalse(frappe.db.exists("ToDo", todo.name))
		frappe.db.commit()  # lifted: commits work again
		record_attack("a save that commits on its own, inside a preview", refused=True)


class TestSavesNeverFail(TrustCase):
	def test_a_site_without_the_apps_tables_saves_as_before(self):
		"""While the app is installed (or on a site whose install broke half-way) its tables may be
		missing: a save neither fails nor writes an Error Log about it (which was a save too, and
		looped into a RecursionError on migrate)."""
		from unittest.mock import patch

		from afas_connector.binding import doc_events

		try:
			frappe.db.sql("select name from `tabAFAS No Such Table`")
		except Exception as exc:
			missing = exc
		before = frappe.db.count("Error Log")
		with patch.object(doc_events, "_routes", side_effect=missing):
			todo = frappe.get_doc({"doctype": "ToDo", "description": "no tables yet"}).insert()
			frappe.get_doc({"doctype": "Error Log", "method": "x", "error": "y"}).insert(
				ignore_permissions=True
			)
		self.assertTrue(frappe.db.exists("ToDo", todo.name))
		self.assertEqual(frappe.db.count("Error Log"), before + 1, "only the Error Log saved on purpose")

	def test_a_failing_condition_never_fails_a_users_save(self):
		from afas_connector.binding.doc_events import clear_outbound_cache

		name = f"{PREFIX}Push"
		push_mapping(name)
		if not frappe.db.exists("Customer", {}):  # the condition is tried on the latest Customer
			frappe.get_doc(
				{"doctype": "Customer", "customer_name": "Trust Condition Sample", "customer_type": "Company"}
			).insert(ignore_permissions=True)
		doc = frappe.get_doc(MAPPING, name)
		doc.condition = "1/0"
		with self.assertRaises(frappe.ValidationError) as caught:
			doc.save()  # tried on the latest Customer at save
		self.assertIn("ZeroDivisionError", str(caught.exception))
		frappe.db.set_value(MAPPING, name, "condition", "1/0")  # as a condition that breaks later would
		frappe.db.commit()
		clear_outbound_cache()
		customer = f"Trust Customer {frappe.generate_hash(length=6)}"
		response = self.rest(
			"POST",
			"/api/resource/Customer",
			self.master,
			{
				"customer_name": customer,
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		saved = response.json()["data"]["name"]
		logs = frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": name, "reference_name": saved},
			fields=["name", "status", "error"],
		)
		self.assertEqual([log.status for log in logs], ["Failed"])
		self.assertIn(name, logs[0].error)
		self.assertIn("ZeroDivisionError", logs[0].error)
		retry = self.call("retry_log", self.master, name=logs[0].name).json()["message"]
		self.assertEqual(retry["queued"], 0)
		self.assertIn("still fails", retry["message"])
		frappe.db.set_value(MAPPING, name, "condition", "doc.customer_name")
		frappe.db.commit()
		retry = self.call("retry_log", self.master, name=logs[0].name).json()["message"]
		self.assertEqual(retry["queued"], 1, retry)
		self.assertEqual(frappe.db.get_value("AFAS Sync Log", logs[0].name, "status"), "Queued")
		frappe.delete_doc("Customer", saved, force=True, ignore_permissions=True)
		frappe.db.commit()
		record_attack("condition 1/0 on an enabled outbound mapping, a user saves", refused=True)

	def test_a_failing_rename_bookkeeping_never_fails_a_rename(self):
		from afas_connector.binding.doc_events import after_rename

		name = f"{PREFIX}Rename"
		push_mapping(name)
		frappe.db.set_value(MAPPING, name, "condition", "doc.no_such_field.upper()")
		frappe.db.commit()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"Trust Rename {frappe.generate_hash(length=6)}",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			}
		).insert(ignore_permissions=True)
		after_rename(customer, "after_rename", "Old Name", customer.name)  # must not raise
		failed = frappe.get_all(
			"AFAS Sync Log", filters={"reference_name": customer.name, "status": "Failed"}, pluck="error"
		)
		self.assertTrue(failed)
		frappe.db.rollback()


class TestBadInput(TrustCase):
	def message(self, response) -> str:
		body = response.json()
		messages = json.loads(body.get("_server_messages") or "[]")
		return " ".join(json.loads(m).get("message", "") for m in messages) or body.get("exception", "")

	def test_each_bad_argument_is_a_417_that_names_it(self):
		mapping = f"{PREFIX}Args"
		make_mapping(
			mapping,
			direction="Inbound",
			afas_connector="ERP_Debtors",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			schedule="Manual Only",
			field_mappings=[dict(row) for row in DEBTOR_TO_CUSTOMER],
		)

		def file(**mapping_fields) -> str:
			return json.dumps(
				{
					"format": "afas_connector.mappings",
					"version": 1,
					"mappings": [{"mapping_name": f"{PREFIX}File", **mapping_fields}],
				}
			)

		cases = [
			("dismiss_failed_rows", {"mapping": mapping, "keys": "not json {"}, "keys"),
			("new_mapping_from_template", {"template": "debtors-in", "answers": "{"}, "answers"),
			("retry_logs", {"names": "[" * 100_000 + "]" * 100_000}, "names"),
			("retry_logs", {"names": json.dumps([[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]])}, "names"),
			(
				"preview_mapping_import",
				{"data": json.dumps({"format": "afas_connector.mappings", "version": "x", "mappings": []})},
				"version",
			),
			(
				"preview_mapping_import",
				{"data": json.dumps({"format": "afas_connector.mappings", "version": 1, "mappings": ["x"]})},
				"mappings[0]",
			),
			(
				"preview_mapping_import",
				{
					"data": json.dumps(
						{
							"format": "afas_connector.mappings",
							"version": 1,
							"mappings": [{"mapping_name": ["a"]}],
						}
					)
				},
				"mapping_name",
			),
			("preview_mapping_import", {"data": file(link_with={"x": 1})}, "link_with"),
			(
				"preview_mapping_import",
				{
					"data": file(
						field_mappings=[
							{
								"afas_field": "X",
								"erpnext_field": "links",
								"transform": "link_rows",
								"transform_options": "{",
							}
						]
					)
				},
				"transform_options",
			),
			(
				"import_mappings",
				{
					"data": json.dumps(
						{
							"format": "afas_connector.mappings",
							"version": 1,
							"mappings": [],
							"custom_fields": [{"dt": "Customer", "fieldtype": "Data"}],
						}
					)
				},
				"fieldname",
			),
			("preview_mapping", {"mapping": mapping, "full": "maybe"}, "full"),
		]
		for method, params, argument in cases:
			response = self.call(method, self.manager, **params)
			self.assertEqual(response.status_code, 417, f"{method} {argument}: {response.text[:400]}")
			self.assertIn(argument, self.message(response), f"{method}: {response.text[:400]}")
			self.assertEqual(response.json().get("exc_type"), "InvalidArgument", method)
			record_attack(f"bad input: {method} {argument}", refused=True)

	def test_a_list_where_a_name_belongs(self):
		response = self.rest(
			"POST", "/api/method/afas_connector.api.preview_mapping", self.manager, {"mapping": ["a", "b"]}
		)
		self.assertEqual(response.status_code, 417, response.text[:400])
		self.assertIn("mapping", self.message(response))

	def test_rate_limits_follow_the_user_not_a_forwarded_ip(self):
		statuses = []
		for number in range(31):
			response = requests.get(
				self.server.base + "/api/method/afas_connector.api.health",
				headers={
					"Host": self.server.site,
					"Authorization": f"token {self.manager[0]}:{self.manager[1]}",
					"X-Forwarded-For": f"10.0.{number // 250}.{number % 250 + 1}",
				},
				timeout=30,
			)
			statuses.append(response.status_code)
		self.assertEqual(statuses[:30], [200] * 30, statuses)
		self.assertEqual(statuses[30], 429)
		record_attack("31 health calls from 31 forwarded IPs (limit 30/min)", refused=True)


class TestWhatTheReadmePromisesARole(TrustCase):
	def test_a_manager_makes_a_template_that_adds_the_apps_own_field(self):
		field = frappe.db.get_value("Custom Field", {"dt": "Customer", "fieldname": "afas_organisation_code"})
		if field:
			frappe.delete_doc("Custom Field", field, ignore_permissions=True)
			frappe.db.commit()
		made = self.call(
			"new_mapping_from_template", self.master, template="debtors-in", mapping_name=f"{PREFIX}Template"
		)
		self.assertEqual(made.status_code, 200, made.text[:500])
		frappe.db.commit()  # a new snapshot: the site server committed in a connection of its own
		self.assertTrue(
			frappe.db.exists("Custom Field", {"dt": "Customer", "fieldname": "afas_organisation_code"})
		)

	def test_other_custom_fields_need_a_system_manager_and_say_so(self):
		data = json.dumps(
			{
				"format": "afas_connector.mappings",
				"version": 1,
				"mappings": [],
				"custom_fields": [
					{"dt": "Customer", "fieldname": "trust_test_field", "fieldtype": "Data", "label": "Trust"}
				],
			}
		)
		preview = self.call("preview_mapping_import", self.manager, data=data)
		self.assertEqual(preview.status_code, 200, preview.text[:500])
		self.assertIn("needs a System Manager", json.dumps(preview.json()["message"]["problems"]))
		refused = self.call("import_mappings", self.manager, data=data)
		self.assertEqual(refused.status_code, 417, refused.text[:500])
		self.assertIn("ask your administrator", refused.text)
		self.assertFalse(
			frappe.db.exists("Custom Field", {"dt": "Customer", "fieldname": "trust_test_field"})
		)
		admin = api_user("afas-trust-admin@example.com", ["AFAS Manager", "System Manager"])
		done = self.call("import_mappings", admin, data=data)
		self.assertEqual(done.status_code, 200, done.text[:500])
		name = frappe.db.get_value("Custom Field", {"dt": "Customer", "fieldname": "trust_test_field"})
		self.assertTrue(name)
		frappe.delete_doc("Custom Field", name, ignore_permissions=True)
		frappe.db.commit()
		record_attack("custom field in an imported file, as an AFAS Manager", refused=True)
