"""``bench --site S afas demo``: the simulator, example mappings, a real sync, a summary.

Starts the project's AFAS Profit simulator on 127.0.0.1, points AFAS Settings at it, creates three
inbound mappings (debtors → Customer, creditors → Supplier, items → Item) and two outbound ones
(Customer → KnSalesRelationOrg, Sales Order → FbSales), runs the inbound ones, and pushes one new
Customer and a Sales Order for it. The people side: AFAS's employees come in as Employees of the
demo's company (the template "AFAS Employees → Employee", made once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import frappe

from afas_connector.binding.connection import environment
from afas_connector.binding.constants import LINK, LOG
from afas_connector.binding.outbox import queue_change
from afas_connector.binding.pull import load_state, save_state, sync_mapping
from afas_connector.binding.push import push_pending
from afas_connector.devtools.samples import (
	INBOUND,
	OUTBOUND,
	income_account,
	new_customer,
	new_sales_invoice,
	new_sales_order,
	sales_ledger_mapping,
	sales_order_mapping,
	upsert_mapping,
	use_simulator,
)
from afas_connector.simulator import AfasSimulator
from afas_connector.simulator.demo_data import generate_rows
from afas_connector.sync.inbound_plan import InboundState
from afas_connector.sync.templates import TEMPLATES, apply_template

#: The demo's simulator is an AFAS environment of its own, so its keys never mix with a real one's.
DEMO_ENVIRONMENT = {"environment_id": "99999", "environment_type": "Test"}
#: How the demo's simulator names itself in metainfo, as AFAS names a Test environment 99999 (type
#: letter, number, letters): Test Connection finds it is the environment AFAS Settings name.
DEMO_ENVID = "T99999AA"
#: Why the demo does not run before ERPNext's setup wizard: the wizard sets the site's time zone (times
#: written before it are in Frappe's default zone and sort wrongly afterwards) and makes the groups,
#: territories and Company the demo needs (ones the demo made first would collide with the wizard's).
SETUP_WIZARD_FIRST = (
	"Complete ERPNext's setup wizard first (log in to the desk at /app, which opens it), then run the "
	"demo again."
)


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

	env = environment()
	frappe.db.delete(LINK, {"environment": env})
	for spec in INBOUND:
		mapping = frappe.get_doc("AFAS Connector Mapping", spec["mapping_name"])
		if load_state(mapping).watermark:
			save_state(mapping, InboundState())


def add_generated_debtors(sim: AfasSimulator, n: int) -> None:
	"""``n`` more debtors, after the demo's own and stamped now, so an incremental run reads them."""

	rows = generate_rows(sim.store.table("ERP_Debtors").spec, n, seed=1)
	for row in rows:
		row["Modified"] = None  # becomes now
	sim.add_rows("ERP_Debtors", rows)


LEDGER_MAPPING = "Sales Invoice → AFAS Ledger"
#: The demo's people side: the employees template's fields, kept like the demo's other mappings (not
#: marked as made from the template, so the templates a user makes later build on their own employees
#: mapping); its watermark is kept on a rerun (AFAS's employee numbers are the same in every
#: simulator), so a rerun reads no employee again.
EMPLOYEES_MAPPING = "AFAS Employees → Employee"


#: The Customer the demo pushes: found again on a rerun, so reruns add no Customer, Sales Order or
#: Sales Invoice of their own (a new simulator has none of them: they are pushed again).
DEMO_CUSTOMER = "Demo Push B.V."


def _demo_item() -> str | None:
	"""An item the sync brought in that can be sold (AFAS blocks some: those come in disabled)."""
	linked = frappe.get_all(LINK, filters={"mapping": INBOUND[2]["mapping_name"]}, pluck="reference_name")
	found = frappe.get_all(
		"Item", filters={"name": ["in", linked or [""]], "disabled": 0}, pluck="name", limit=1
	)
	return found[0] if found else None


def demo_company() -> str | None:
	"""The Company the demo sells from: the site's default, else any; None before ERPNext's setup wizard."""
	return frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")


def _earlier(doctype: str, filters: dict[str, Any]) -> Any | None:
	"""The document an earlier demo run made (the latest that matches), or None."""
	name = frappe.db.get_value(doctype, filters, "name", order_by="creation desc")
	return frappe.get_doc(doctype, name) if name else None


def _push_again(doc: Any, mapping: str) -> None:
	"""Queue a change of a document an earlier run made (the new simulator does not know it yet)."""
	queue_change(doc, "on_update", mapping, trigger="Manual")
	frappe.db.commit()


def _push_demo_customer() -> str:
	"""Push the demo's Customer (made on the first run) to KnSalesRelationOrg; returns the line to print."""
	mapping = OUTBOUND["mapping_name"]
	customer = _earlier("Customer", {"customer_name": DEMO_CUSTOMER})
	if customer:
		_push_again(customer, mapping)
	else:
		customer = new_customer(DEMO_CUSTOMER)
		frappe.db.commit()
	push_pending(mapping, "Customer", customer.name)
	log = _last_log(mapping, "Customer", customer.name)
	if not log:
		return f"push: Customer {customer.name!r} skipped (the mapping {mapping!r} did not queue it)"
	return f"push: Customer {customer.name!r} → {log.http_method} KnSalesRelationOrg: {log.status}" + (
		f", AFAS DbId {log.afas_key}" if log.afas_key else f" ({log.error})"
	)


def _last_log(mapping: str, doctype: str, name: str) -> Any | None:
	logs = frappe.get_all(
		LOG,
		filters={"mapping": mapping, "reference_doctype": doctype, "reference_name": name},
		fields=["status", "http_method", "afas_key", "error", "payload"],
		order_by="creation desc",  # a rerun pushes the same document again: its latest push
		limit=1,
	)
	return logs[0] if logs else None


NO_COMPANY = "this site has no Company yet: finish ERPNext's setup wizard"


def _book_demo_invoice(customer: str, company: str | None) -> str:
	"""Submit a Sales Invoice for the pushed customer and book it into AFAS's general ledger (FiEntries);
	returns the lines to print. Needs a Company (ERPNext's setup wizard) whose chart has an income
	account; the invoice of an earlier run is booked again rather than a new one made."""
	item = _demo_item()
	if not company or not item:
		return f"ledger: Sales Invoice skipped ({NO_COMPANY if not company else 'no item came in from AFAS'})"
	if not income_account(company):
		return f"ledger: Sales Invoice skipped (the chart of accounts of {company} has no income account)"
	upsert_mapping(sales_ledger_mapping(LEDGER_MAPPING, company, OUTBOUND["mapping_name"]))
	frappe.db.commit()
	invoice = _earlier("Sales Invoice", {"customer": customer, "company": company, "docstatus": 1})
	if invoice:
		_push_again(invoice, LEDGER_MAPPING)
	else:
		invoice = new_sales_invoice(customer, company, item, 3, 12.5)
		invoice.submit()
		frappe.db.commit()
	push_pending(LEDGER_MAPPING, "Sales Invoice", invoice.name)
	log = _last_log(LEDGER_MAPPING, "Sales Invoice", invoice.name)
	if not log:
		return f"ledger: Sales Invoice {invoice.name!r} skipped (the mapping {LEDGER_MAPPING!r} did not queue it)"
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


def _push_demo_order(customer: str, company: str | None) -> str:
	"""Submit a Sales Order for the pushed customer, with an item the inbound sync brought in, and
	push it to FbSales; returns the line to print. Needs a Company (ERPNext's setup wizard); the order
	of an earlier run is pushed again rather than a new one made."""
	item = _demo_item()
	if not company or not item:
		return f"push: Sales Order skipped ({NO_COMPANY if not company else 'no item came in from AFAS'})"
	mapping = sales_order_mapping(OUTBOUND["mapping_name"])["mapping_name"]
	order = _earlier("Sales Order", {"customer": customer, "company": company, "docstatus": 1})
	if order:
		_push_again(order, mapping)
	else:
		order = new_sales_order(customer, company, [(item, 3, 12.5)])
		frappe.db.commit()
	push_pending(mapping, "Sales Order", order.name)
	log = _last_log(mapping, "Sales Order", order.name)
	if not log:
		return f"push: Sales Order {order.name!r} skipped (the mapping {mapping!r} did not queue it)"
	return (
		f"push: Sales Order {order.name!r} ({len(order.items)} line) → {log.http_method} FbSales: {log.status}"
		+ (f", AFAS OrNu {log.afas_key}" if log.afas_key else f" ({log.error})")
	)


def _sync_demo_employees(company: str | None) -> str:
	"""AFAS's employees (the app's own GetConnector ERP_Employees, as the template reads it) as Employees
	of the demo's company: the template's mapping, made once and switched on, and one run."""
	if not company:
		return "people: Employees skipped (no company)"
	fields = apply_template(TEMPLATES["employees-in"], {"company": company})
	fields.update(mapping_name=EMPLOYEES_MAPPING, template=None, enabled=1)
	upsert_mapping(fields)
	frappe.db.commit()
	log = sync_mapping(EMPLOYEES_MAPPING, trigger="Manual")
	log.reload()
	return (
		f"people: Employees: {log.status} ({log.rows_read} read, {log.inserted} new, {log.updated} updated, "
		f"{log.unchanged} unchanged, {log.failed} failed)"
		+ (f" {log.error.splitlines()[0]}" if log.error and log.failed else "")
	)


def _step(what: str, run: Callable[[], str]) -> str:
	"""Run one demo step; a step that fails is undone and said in one line, never as a traceback, and
	the demo goes on (``--serve`` keeps serving whatever the steps did)."""
	try:
		return run()
	except Exception as exc:
		frappe.db.rollback()
		message = frappe.utils.strip_html(str(exc)).strip().splitlines()
		return f"{what} skipped ({type(exc).__name__}: {message[0] if message else ''})"


def _sync(name: str, echo: Callable[[str], None]) -> dict[str, Any]:
	started = time.perf_counter()

	def progress(data: dict[str, Any]) -> None:
		echo(f"\r  {name}: page {data['pages']}, {data['description']}" + ("\n" if data["finished"] else ""))

	try:
		log = sync_mapping(name, trigger="Manual", progress=progress)
	except Exception as exc:
		frappe.db.rollback()
		return {
			"mapping": name,
			"status": "Failed",
			"read": 0,
			"inserted": 0,
			"updated": 0,
			"unchanged": 0,
			"failed": 0,
			"seconds": round(time.perf_counter() - started, 2),
			"error": str(exc).splitlines()[0],
		}
	log.reload()
	return {
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


def serve_until_interrupted(base_url: str, echo: Callable[[str], None]) -> None:
	"""Keep the simulator serving (``--serve``) without a database transaction open: whatever the demo
	read or wrote is committed first, so a demo left running for hours holds no locks nor a snapshot."""
	frappe.db.commit()
	echo(f"Simulator still serving on {base_url}; Ctrl-C to stop.")
	try:
		while True:
			time.sleep(3600)
	except KeyboardInterrupt:
		pass


def run_demo(
	*, port: int = 8899, rows: int = 0, serve: bool = False, echo: Callable[[str], None] = print
) -> list[dict[str, Any]]:
	"""Run the whole demo; returns the summary rows it printed. Raises :class:`DemoError` when the
	simulator cannot start (the port is taken) or ERPNext's setup wizard has not been completed."""
	if not frappe.is_setup_complete():
		raise DemoError(SETUP_WIZARD_FIRST)
	try:
		sim = AfasSimulator(port=port, env_id=DEMO_ENVID).start()
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
		summary = [_sync(spec["mapping_name"], echo) for spec in INBOUND]
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
		company = demo_company()
		echo(_step("push: Customer", _push_demo_customer))
		customer = frappe.db.get_value("Customer", {"customer_name": DEMO_CUSTOMER}, "name")
		if customer:
			echo(_step("push: Sales Order", lambda: _push_demo_order(customer, company)))
			echo(_step("ledger: Sales Invoice", lambda: _book_demo_invoice(customer, company)))
		echo(_step("people: Employees", lambda: _sync_demo_employees(company)))
		if serve:
			serve_until_interrupted(sim.base_url, echo)
		return summary
