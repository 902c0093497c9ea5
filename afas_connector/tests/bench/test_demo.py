"""The README's "try it" command, end to end: ``bench --site S afas demo`` on the simulator."""

from __future__ import annotations

import frappe

from afas_connector.devtools.demo import run_demo
from afas_connector.devtools.samples import INBOUND
from afas_connector.tests.bench.fixtures import IntegrationTestCase


class TestDemo(IntegrationTestCase):
	def test_demo_syncs_in_and_pushes_a_customer_and_its_order(self):
		lines: list[str] = []
		summary = run_demo(port=0, echo=lines.append)
		self.assertEqual(
			[(row["mapping"], row["status"]) for row in summary],
			[(spec["mapping_name"], "Success") for spec in INBOUND],
		)
		self.assertEqual([row["failed"] for row in summary], [0, 0, 0], summary)
		for spec in INBOUND:  # this run or an earlier one brought every demo row in
			self.assertGreater(frappe.db.count("AFAS Record Link", {"mapping": spec["mapping_name"]}), 0)
		output = "\n".join(lines)
		self.assertNotIn("skipped", output, "ERPNext's standard chart: every step runs")
		self.assertRegex(output, r"POST KnSalesRelationOrg: Success, AFAS DbId \d+")
		self.assertRegex(output, r"POST FbSales: Success, AFAS OrNu \d+")
		self.assertRegex(
			output,
			r"POST FiEntries: Success, AFAS entry \d+/\d+ \(debtor \d+ D 37.50, account 8000 C 37.50\)",
		)
		order = frappe.get_all(
			"AFAS Sync Log",
			filters={"reference_doctype": "Sales Order", "status": "Success"},
			fields=["payload"],
			order_by="creation desc",
			limit=1,
		)[0]
		self.assertIn("FbSalesLines", order.payload, "the Sync Log keeps the body that was sent")
