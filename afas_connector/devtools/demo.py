"""``bench --site S afas demo``: the simulator, example mappings, a real sync, a summary.

Starts the project's AFAS Profit simulator on 127.0.0.1, points AFAS Settings at it, creates three
inbound mappings (debtors → Customer, creditors → Supplier, items → Item) and two outbound ones
(Customer → KnSalesRelationOrg, Sales Order → FbSales), runs the inbound ones, and pushes one new
Customer and a Sales Order for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import frappe

from afas_connector.binding.constants import LINK, LOG
from afas_connector.binding.pull import sync_mapping
from afas_connector.binding.push import push_pending
from afas_connector.devtools.samples import (
	INBOUND,
	OUTBOUND,
	new_customer,
	new_sales_invoice,
	new_sales_order,
	sales_ledger_mapping,
	sales_order_mapping,
	upsert_mapping,
	use_simulator,
)
from afas_connector.simulator import AfasSimulator

#: The demo's simulator is an AFAS environment of its own, so its keys never mix with a real one's.
DEMO_ENVIRONMENT = {"environment_id": "99999", "environment_type": "Test"}


class DemoError(Exception):
	"""The demo cannot start; the message says why and what to do."""


def configure(base_url: str) -> None:
	"""Point AFAS Settings at ``base_url`` (the demo's own AFAS environment) and create the example
	mappings. The simulator keeps AFAS's side in memory only: a new one starts from its demo data, so
	the links and watermarks an earlier demo run left for this environment are dropped (the match
	rules adopt the documents that run made)."""
	use_simulator(base_url, **DEMO_ENVIRONMENT)
	for spec in [*INBOUND, OUTBOUND, sales_order_mapping(OUTBOUND["mapping_name"])]:
		upsert_mapping(spec)
	forget_earlier_simulator()
	frappe.db.commit()


def forget_earlier_simulator() -> None:
	from afas_connector.binding.connection import environment
	from afas_connector.binding.pull import load_state, save_state
	from afas_connector.sync.inbound_plan import InboundState

	env = environment()
	frappe.db.delete(LINK, {"environment": env})
	for spec in INBOUND:
		mapping = frappe.get_doc("AFAS Connector Mapping", spec["mapping_name"])
		if load_state(mapping).watermark:
			save_state(mapping, InboundState())


def add_generated_debtors(sim: AfasSimulator, n: int) -> None:
	"""``n`` more debtors, after the demo's own and stamped now, so an incremental run reads them."""
	from afas_connector.simulator.demo_data import generate_rows

	rows = generate_rows(sim.store.table("ERP_Debtors").spec, n, seed=1)
	for row in rows:
		row["Modified"] = None  # becomes now
	sim.add_rows("ERP_Debtors", rows)


LEDGER_MAPPING = "Sales Invoice → AFAS Ledger"


def _demo_item() -> str | None:
	"""An item the sync brought in that can be sold (AFAS blocks some: those come in disabled)."""
	linked = frappe.get_all(LINK, filters={"mapping": INBOUND[2]["mapping_name"]}, pluck="reference_name")
	found = frappe.get_all(
		"Item", filters={"name": ["in", linked or [""]], "disabled": 0}, pluck="name", limit=1
	)
	return found[0] if found else None


def _book_demo_invoice(customer: str) -> str:
	"""Submit a Sales Invoice for the pushed customer and book it into AFAS's general ledger (FiEntries);
	returns the lines to print. Needs a Company (ERPNext's setup wizard)."""
	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	item = _demo_item()
	if not company or not item:
		return "ledger: Sales Invoice skipped (this site has no Company yet: finish ERPNext's setup wizard)"
	upsert_mapping(sales_ledger_mapping(LEDGER_MAPPING, company, OUTBOUND["mapping_name"]))
	invoice = new_sales_invoice(customer, company, item, 3, 12.5)
	invoice.submit()
	frappe.db.commit()
	push_pending(LEDGER_MAPPING, "Sales Invoice", invoice.name)
	log = frappe.get_all(
		LOG,
		filters={"mapping": LEDGER_MAPPING, "reference_name": invoice.name},
		fields=["status", "afas_key", "error", "payload"],
		order_by="creation desc",  # a deleted last invoice's name is given out again, with its old logs
		limit=1,
	)[0]
	if log.status != "Success":
		return f"ledger: Sales Invoice {invoice.name!r} → FiEntries: {log.status} ({log.error})"
	import json

	lines = json.loads(log.payload)["objects"]["FiEntries"]
	shown = ", ".join(
		f"{'debtor' if line['fields']['VaAs'] == '2' else 'account'} {line['fields']['AcNr']} "
		f"{'D' if line['fields']['AmDe'] else 'C'} {line['fields']['AmDe'] or line['fields']['AmCr']:.2f}"
		for line in lines
	)
	return f"ledger: Sales Invoice {invoice.name!r} → POST FiEntries: Success, AFAS entry {log.afas_key} ({shown})"


def _push_demo_order(customer: str) -> str:
	"""Submit a Sales Order for the pushed customer, with an item the inbound sync brought in, and
	push it to FbSales; returns the line to print. Needs a Company (ERPNext's setup wizard)."""
	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	item = _demo_item()
	if not company or not item:
		return "push: Sales Order skipped (this site has no Company yet: finish ERPNext's setup wizard)"
	order = new_sales_order(customer, company, [(item, 3, 12.5)])
	frappe.db.commit()
	mapping = sales_order_mapping(OUTBOUND["mapping_name"])["mapping_name"]
	push_pending(mapping, "Sales Order", order.name)
	log = frappe.get_all(
		LOG,
		filters={"mapping": mapping, "reference_name": order.name},
		fields=["status", "http_method", "afas_key", "error"],
		limit=1,
	)[0]
	return (
		f"push: Sales Order {order.name!r} ({len(order.items)} line) → {log.http_method} FbSales: {log.status}"
		+ (f", AFAS OrNu {log.afas_key}" if log.afas_key else f" ({log.error})")
	)


def run_demo(
	*, port: int = 8899, rows: int = 0, serve: bool = False, echo: Callable[[str], None] = print
) -> list[dict[str, Any]]:
	"""Run the whole demo; returns the summary rows it printed. Raises :class:`DemoError` when the
	simulator cannot start (the port is taken)."""
	try:
		sim = AfasSimulator(port=port).start()
	except OSError as exc:
		raise DemoError(
			f"Port {port} on 127.0.0.1 is in use ({exc.strerror or exc}): another demo or simulator is "
			"running there. Stop it, or pass another --port."
		) from None
	with sim:
		if rows:
			add_generated_debtors(sim, rows)
		echo(f"AFAS Profit simulator on {sim.base_url} (AFAS environment 99999 Test, kept in memory only)")
		configure(sim.base_url)
		summary = []
		for spec in INBOUND:
			name = spec["mapping_name"]
			started = time.perf_counter()

			def progress(data: dict[str, Any], name: str = name) -> None:
				echo(
					f"\r  {name}: page {data['pages']}, {data['description']}"
					+ ("\n" if data["finished"] else "")
				)

			log = sync_mapping(name, trigger="Manual", progress=progress)
			log.reload()
			summary.append(
				{
					"mapping": name,
					"status": log.status,
					"read": log.rows_read,
					"inserted": log.inserted,
					"updated": log.updated,
					"unchanged": log.unchanged,
					"failed": log.failed,
					"seconds": round(time.perf_counter() - started, 2),
					"error": log.error or "",
				}
			)
		customer = new_customer(f"Demo Push {frappe.generate_hash(length=5)} B.V.")
		frappe.db.commit()
		push_pending(OUTBOUND["mapping_name"], "Customer", customer.name)
		push = frappe.get_all(
			LOG,
			filters={"mapping": OUTBOUND["mapping_name"], "reference_name": customer.name},
			fields=["status", "http_method", "afas_key", "error"],
			limit=1,
		)
		echo("")
		echo(
			f"{'mapping':<28} {'status':<8} {'read':>6} {'new':>6} {'upd':>6} {'same':>6} {'fail':>6} {'sec':>6}"
		)
		for row in summary:
			echo(
				f"{row['mapping']:<28} {row['status']:<8} {row['read']:>6} {row['inserted']:>6} {row['updated']:>6} "
				f"{row['unchanged']:>6} {row['failed']:>6} {row['seconds']:>6}"
				+ (f"  {row['error']}" if row["error"] else "")
			)
		if push:
			echo(
				f"push: Customer {customer.name!r} → {push[0].http_method} KnSalesRelationOrg: {push[0].status}"
				+ (f", AFAS DbId {push[0].afas_key}" if push[0].afas_key else f" ({push[0].error})")
			)
		echo(_push_demo_order(customer.name))
		echo(_book_demo_invoice(customer.name))
		if serve:
			echo(f"Simulator still serving on {sim.base_url}; Ctrl-C to stop.")
			try:
				while True:
					time.sleep(3600)
			except KeyboardInterrupt:
				pass
		return summary
