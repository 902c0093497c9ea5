"""Issue 5: ERPNext → AFAS through doc_events and the transactional outbox, against the simulator."""

from __future__ import annotations

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	restore_outbound,
	simulator,
	site_server,
)

CONNECTOR = "KnSalesRelationOrg"


class TestOutboundPush(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def setUp(self):
		self.sim.faults.clear()
		self.sim.clear_requests()
		self.name = "Test Outbound " + frappe.generate_hash(length=6)
		self.mapping = push_mapping(
			self.name,
			push_on_trash=1,
			delete_action="Delete in AFAS",
			condition='doc.customer_type == "Company"',
		)
		self.others = isolate_outbound(self.name)
		self.created = []

	def tearDown(self):
		self.sim.faults.clear()
		for name in self.created:
			if frappe.db.exists("Customer", name):
				frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		cleanup_mapping(self.name)
		restore_outbound(self.others)

	def customer(self, suffix="", **fields):
		doc = new_customer(f"Push {self.name[-6:]}{suffix} B.V.", **fields)
		self.created.append(doc.name)
		return doc

	def logs(self, **filters):
		return frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": self.name, **filters},
			fields=[
				"name",
				"status",
				"http_method",
				"afas_key",
				"attempts",
				"error",
				"reference_name",
				"event",
			],
			order_by="creation asc",
		)

	def posts(self, method="POST"):
		return [r for r in self.sim.requests if r.method == method and r.connector == CONNECTOR]

	def push(self, customer):
		from afas_connector.binding.push import push_pending

		return push_pending(self.name, "Customer", customer.name)

	def test_insert_update_delete_round_trip(self):
		customer = self.customer(tax_id="NL123456789B01")
		queued = self.logs()
		self.assertEqual(
			[(q.status, q.event) for q in queued],
			[("Queued", "after_insert")],
			"queued in the same transaction",
		)
		self.assertEqual(self.posts(), [], "saving does not wait on AFAS")
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		posts = self.posts()
		self.assertEqual(len(posts), 1)
		element = posts[0].body[CONNECTOR]["Element"]
		self.assertEqual(element["Fields"]["VaId"], "NL123456789B01")
		self.assertEqual(
			element["Objects"][0]["KnOrganisation"]["Element"]["Fields"]["Nm"], customer.customer_name
		)
		key = frappe.db.get_value(
			"AFAS Record Link", {"mapping": self.name, "reference_name": customer.name}, "afas_key"
		)
		self.assertTrue(key)
		self.assertIn(key, self.sim.records(CONNECTOR))

		customer.reload()
		customer.tax_id = "NL999999999B01"
		customer.save()
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		puts = self.posts("PUT")
		self.assertEqual(len(puts), 1)
		self.assertEqual(puts[0].body[CONNECTOR]["Element"]["@DbId"], key)
		self.assertEqual(self.sim.records(CONNECTOR)[key]["VaId"], "NL999999999B01")

		frappe.delete_doc("Customer", customer.name, ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		deletes = self.posts("DELETE")
		self.assertEqual(len(deletes), 1)
		self.assertNotIn(key, self.sim.records(CONNECTOR))
		self.assertEqual([log.http_method for log in self.logs()], ["POST", "PUT", "DELETE"])
		self.assertEqual(len(self.posts()), 1, "exactly one POST in all")

	def test_rolled_back_save_queues_and_sends_nothing(self):
		frappe.db.commit()
		try:
			self.customer("-rb")
			self.assertEqual(len(self.logs()), 1)
			raise RuntimeError("the save fails after the handler ran")
		except RuntimeError:
			frappe.db.rollback()
		self.created.clear()
		self.assertEqual(self.logs(), [])
		from afas_connector.binding.outbox import sweep

		sweep(inline=True)
		self.assertEqual(self.posts(), [])

	def test_one_kick_per_transaction_and_none_lost_to_a_rollback(self):
		from afas_connector.binding.outbox import PUSHER_FLAG, kick_pusher

		flag = frappe.cache.make_key(PUSHER_FLAG)
		frappe.db.commit()
		frappe.cache.delete(flag)
		self.customer("-kick0")
		frappe.db.rollback()
		self.assertIsNone(frappe.cache.get(flag), "a rolled-back save kicks nothing")
		for i in range(3):
			self.customer(f"-kick{i + 1}")
		self.assertEqual(len(self.logs()), 3)
		kicks = [f for f in frappe.db.after_commit._functions if f is kick_pusher]
		self.assertEqual(len(kicks), 1, "three queued changes, one kick after commit")
		frappe.db.commit()
		self.assertIsNotNone(frappe.cache.get(flag), "the transaction after a rollback still kicks")

	def test_push_to_afas_by_hand_over_http(self):
		"""The form's "Push to AFAS" button: push_document queues the document as it is now."""
		frappe.cache.delete_keys("rl:")
		server = site_server()
		manager = api_user("afas-pusher@example.com", ["AFAS Manager", "Sales User"])
		customer = self.customer("-hand", tax_id="NL123123123B01")
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		response = server.call(
			"afas_connector.api.push_document", auth=manager, doctype="Customer", name=customer.name
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		queued = response.json()["message"]["queued"]
		frappe.db.commit()  # a fresh snapshot: the server committed on its own connection
		self.assertEqual(len(queued), 1)
		self.assertEqual(frappe.db.get_value("AFAS Sync Log", queued[0], "trigger"), "Manual")
		self.assertEqual(self.push(customer), ["Success"])
		self.assertEqual([r.method for r in self.sim.requests if r.connector == CONNECTOR], ["POST", "PUT"])

		person = self.customer("-hand-ind", customer_type="Individual")
		frappe.db.commit()
		response = server.call(
			"afas_connector.api.push_document", auth=manager, doctype="Customer", name=person.name
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn("condition", response.text)
		self.assertEqual(self.logs(reference_name=person.name), [], "nothing queued")

	def test_desk_learns_which_doctypes_get_the_button(self):
		from afas_connector.binding.doc_events import boot_session

		bootinfo = frappe._dict()
		boot_session(bootinfo)
		self.assertEqual(bootinfo.afas_outbound_doctypes, ["Customer"])
		api_user("afas-plain@example.com", ["Sales User"])
		frappe.set_user("afas-plain@example.com")
		try:
			bootinfo = frappe._dict()
			boot_session(bootinfo)
			self.assertNotIn("afas_outbound_doctypes", bootinfo, "no button for a non-manager")
		finally:
			frappe.set_user("Administrator")

	def test_trash_can_deactivate_instead_of_delete(self):
		mapping = frappe.get_doc("AFAS Connector Mapping", self.name)
		mapping.delete_action = "Deactivate in AFAS"
		mapping.deactivate_field = ""
		self.assertRaisesRegex(frappe.ValidationError, "Deactivate Field", mapping.save)
		mapping = frappe.get_doc("AFAS Connector Mapping", self.name)
		mapping.delete_action = "Deactivate in AFAS"
		mapping.deactivate_field = "Bl"
		mapping.deactivate_value = "true"
		mapping.save()
		frappe.db.commit()
		customer = self.customer("-deact")
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		key = frappe.db.get_value(
			"AFAS Record Link", {"mapping": self.name, "reference_name": customer.name}, "afas_key"
		)
		frappe.delete_doc("Customer", customer.name, ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		puts = self.posts("PUT")
		self.assertEqual(len(puts), 1)
		element = puts[0].body[CONNECTOR]["Element"]
		self.assertEqual((element["@DbId"], element["Fields"]), (key, {"Bl": True}))
		self.assertEqual(self.posts("DELETE"), [])
		self.assertIs(self.sim.records(CONNECTOR)[key]["Bl"], True, "still in AFAS, blocked")
		self.assertEqual(self.logs()[-1].http_method, "PUT")

	def test_deleted_before_it_was_sent_sends_nothing(self):
		customer = self.customer("-gone")
		frappe.delete_doc("Customer", customer.name, ignore_permissions=True)
		logs = self.logs()
		self.assertEqual([log.event for log in logs], ["on_trash"], "the delete supersedes the insert")
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		self.assertIn("Never sent to AFAS", self.logs()[0].error)

		frappe.db.set_value("AFAS Connector Mapping", self.name, "push_on_trash", 0)
		customer = self.customer("-gone2")
		frappe.delete_doc("Customer", customer.name, ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])
		self.assertIn(
			"Deleted in ERPNext before it was sent", self.logs(reference_name=customer.name)[0].error
		)
		self.assertEqual([r for r in self.sim.requests if r.connector == CONNECTOR], [], "no HTTP at all")

	def test_change_during_a_push_gets_a_row_of_its_own(self):
		"""A push job takes the queued row (locks it, marks it Running) while the document is saved
		again: the save must not fold its change into the row the job already read."""
		import threading
		import time

		customer = self.customer("-race")
		frappe.db.commit()
		row = self.logs()[0].name
		site, sites_path = frappe.local.site, frappe.local.sites_path
		taken, release = threading.Event(), threading.Event()

		def push_job_takes_the_row():
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.db.sql("select name from `tabAFAS Sync Log` where name=%s for update", row)
				frappe.db.sql("update `tabAFAS Sync Log` set status='Running' where name=%s", row)
				taken.set()
				release.wait(10)
				frappe.db.commit()
			finally:
				frappe.destroy()

		job = threading.Thread(target=push_job_takes_the_row)
		job.start()
		self.assertTrue(taken.wait(10))
		threading.Timer(0.5, release.set).start()
		started = time.monotonic()
		customer.tax_id = "NL222222222B01"
		customer.save()  # its outbox lookup waits for the job's lock
		job.join(10)
		frappe.db.commit()
		self.assertGreater(time.monotonic() - started, 0.3, "the save waited for the job's lock")
		self.assertEqual(
			[(log.status, log.event) for log in self.logs()],
			[("Running", "after_insert"), ("Queued", "on_update")],
		)

	def test_condition_false_queues_nothing(self):
		self.customer("-ind", customer_type="Individual")
		self.assertEqual(self.logs(), [])

	def test_newer_change_supersedes_unsent(self):
		customer = self.customer("-sup")
		customer.tax_id = "NL111111111B01"
		customer.save()
		logs = self.logs()
		self.assertEqual(len(logs), 1)
		self.assertEqual(logs[0].event, "on_update")
		frappe.db.commit()
		self.push(customer)
		self.assertEqual(len(self.posts()), 1)
		self.assertEqual(self.posts()[0].body[CONNECTOR]["Element"]["Fields"]["VaId"], "NL111111111B01")

	def test_lock_errors_then_success_counts_attempts(self):
		customer = self.customer("-lock")
		frappe.db.commit()
		self.sim.faults.add(connector=CONNECTOR, kind="lock", times=2, method="POST")
		self.assertEqual(self.push(customer), ["Success"])
		log = self.logs()[0]
		self.assertEqual((log.status, log.attempts), ("Success", 3))

	def test_functional_500_fails_at_once_with_afas_message(self):
		customer = self.customer("-val")
		frappe.db.commit()
		self.sim.faults.add(
			connector=CONNECTOR,
			kind="validation",
			times=1,
			method="POST",
			message="Debiteur: BTW-nummer is ongeldig",
		)
		self.assertEqual(self.push(customer), ["Failed"])
		log = frappe.get_doc("AFAS Sync Log", self.logs()[0].name)
		self.assertEqual(log.attempts, 1)
		self.assertEqual(log.http_method, "POST", "what was attempted survives the rollback")
		self.assertIn(customer.customer_name, log.payload)
		self.assertIn("BTW-nummer is ongeldig", log.error)
		self.assertIn("profit_log_reference", log.error_detail)

	def test_afas_down_queues_then_everything_arrives_once(self):
		from afas_connector.binding.outbox import sweep

		customers = [self.customer(f"-down{i}") for i in range(3)]
		frappe.db.commit()
		configure(self.sim, base_url="http://127.0.0.1:9/ProfitRestServices", max_attempts=2)
		try:
			for customer in customers:
				self.assertEqual(self.push(customer), ["Retrying"])
			self.assertTrue(all(log.status == "Retrying" for log in self.logs()))
		finally:
			configure(self.sim)
		later = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=2)
		self.assertEqual(sweep(now=later, inline=True), 3)
		self.assertEqual([log.status for log in self.logs()], ["Success"] * 3)
		self.assertEqual(len(self.posts()), 3)
		self.assertEqual(
			len(
				{
					p.body[CONNECTOR]["Element"]["Objects"][0]["KnOrganisation"]["Element"]["Fields"]["Nm"]
					for p in self.posts()
				}
			),
			3,
		)
		sweep(now=later, inline=True)
		self.assertEqual(len(self.posts()), 3, "nothing is sent twice")

	def test_lost_answer_to_a_post_is_not_resent(self):
		customer = self.customer("-drop")
		frappe.db.commit()
		self.sim.faults.add(connector=CONNECTOR, kind="drop", times=1, method="POST")
		self.assertEqual(self.push(customer), ["Outcome Unknown"])
		self.assertIn("AFAS may already hold this record", self.logs()[0].error)
		self.assertIn("may have saved", self.logs()[0].error)
		self.assertEqual(len(self.posts()), 1)

	def test_retry_from_log(self):
		from afas_connector.api import retry_log

		customer = self.customer("-retry")
		frappe.db.commit()
		self.sim.faults.add(connector=CONNECTOR, kind="validation", times=1, method="POST")
		self.push(customer)
		self.assertEqual(retry_log(self.logs()[0].name)["queued"], 1)
		frappe.db.commit()
		self.assertEqual(self.push(customer), ["Success"])

	def test_unmapped_doctype_costs_no_query(self):
		from afas_connector.binding.doc_events import on_document_event, outbound_doctypes

		outbound_doctypes()  # warm the cache, as any earlier save in the request would

		def questions():
			return int(frappe.db.sql("show session status like 'Questions'")[0][1])

		note = frappe.get_doc({"doctype": "ToDo", "description": "no mapping"})
		before = questions()
		on_document_event(note, "on_update")
		after = questions()
		self.assertEqual(after - before, 1, "only the second status query itself")

	def test_key_reused_by_afas_repoints_the_stale_link(self):
		"""AFAS's key is authoritative: a stale link already holding the key AFAS hands out (record
		deleted in AFAS, environment restored from a backup) moves to the new document, instead of the
		push failing after AFAS already saved the record."""
		first = self.customer("-k1")
		frappe.db.commit()
		self.assertEqual(self.push(first), ["Success"])
		link = frappe.db.get_value(
			"AFAS Record Link",
			{"mapping": self.name, "reference_name": first.name},
			["name", "afas_key"],
			as_dict=True,
		)
		next_key = str(int(link.afas_key) + 1)  # the simulator numbers DbId upwards
		frappe.db.set_value("AFAS Record Link", link.name, "afas_key", next_key)
		second = self.customer("-k2")
		frappe.db.commit()
		self.assertEqual(self.push(second), ["Success"])
		self.assertEqual([p.status for p in self.posts()], [201, 201])
		self.assertEqual(
			frappe.db.get_value(
				"AFAS Record Link", {"mapping": self.name, "afas_key": next_key}, "reference_name"
			),
			second.name,
		)
