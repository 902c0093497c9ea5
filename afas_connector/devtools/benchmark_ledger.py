"""Benchmark: what a Ledger (FiEntries) mapping costs a Sales Invoice submit, and ledger push throughput.

Run: ``bench --site test.localhost afas benchmark ledger --rows 1000``. Submits ``rows`` Sales
Invoices with the ledger mapping enabled and ``rows`` with it disabled (target ≤ 1.10×). Each submit
commits on its own, as a desk submit does; the insert before it is not timed. The two sides alternate
submit by submit, each going first every other time, after an untimed warm-up of 20 submits each, so
machine noise and warm-up fall on both alike. "Disabled" is what the handler sees when the connector
is off, switched per submit without a database write (as in the outbound benchmark). Then the queued
invoices are booked into the simulator's FiEntries by the drain job, run in this process:
documents/s, and each one checked booked exactly once.

The invoices, their GL and payment ledger rows and the benchmark's customer are deleted afterwards
(raw deletes: a benchmark site, not a user's books).
"""

from __future__ import annotations

import statistics
import sys
import time

import frappe

from afas_connector.binding.constants import LINK, LOG
from afas_connector.binding.doc_events import _routes, clear_outbound_cache
from afas_connector.binding.outbox import drain
from afas_connector.binding.push import push_pending
from afas_connector.devtools.samples import (
	OUTBOUND,
	isolate_outbound,
	new_customer,
	new_sales_invoice,
	restore_outbound,
	sales_ledger_mapping,
	upsert_mapping,
	use_simulator,
)
from afas_connector.simulator import AfasSimulator

WARM_UP = 20
ITEM = "AFAS Benchmark Service"


def _service_item() -> str:
	"""A non-stock item to invoice (no stock ledger in the way of what is measured)."""
	if not frappe.db.exists("Item", ITEM):
		group = frappe.db.get_value("Item Group", {"is_group": 0}, "name") or "All Item Groups"
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": ITEM,
				"item_name": ITEM,
				"item_group": group,
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return ITEM


def _company() -> str:
	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	if not company:
		raise SystemExit("The ledger benchmark needs a Company: finish ERPNext's setup wizard first.")
	return company


def _delete_invoices(names: list[str], customer: str) -> None:
	if names:
		for doctype, field in (
			("GL Entry", "voucher_no"),
			("Payment Ledger Entry", "voucher_no"),
			("Sales Invoice Item", "parent"),
			("Sales Invoice", "name"),
		):
			frappe.db.delete(doctype, {field: ["in", names]})
	frappe.db.delete("Customer", {"name": customer})
	frappe.db.commit()


def run(rows: int = 1000) -> dict[str, float]:

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	company = _company()
	item = _service_item()
	customers = f"Benchmark Ledger Debtors {token}"
	ledger = f"Benchmark Ledger {token}"
	invoices: list[str] = []
	with AfasSimulator(port=0) as sim:
		use_simulator(sim.base_url)
		upsert_mapping({**OUTBOUND, "mapping_name": customers, "condition": "", "link_with": ""})
		upsert_mapping(sales_ledger_mapping(ledger, company, customers))
		others = isolate_outbound(customers, ledger)
		customer = new_customer(f"Benchmark Ledger {token} B.V.")
		frappe.db.commit()
		push_pending(customers, "Customer", customer.name)
		clear_outbound_cache()
		enabled = _routes()
		disabled = {"outbound": {}, "mapped": enabled["mapped"]}
		sides = {"on": enabled, "off": disabled}

		def submit(name: str) -> float:
			frappe.local.afas_routes = sides[name]
			invoice = new_sales_invoice(customer.name, company, item, 2, 50)
			frappe.db.commit()
			started = time.perf_counter()
			invoice.submit()
			frappe.db.commit()
			elapsed = time.perf_counter() - started
			invoices.append(invoice.name)
			if name == "on":
				booked.append(invoice.name)
			return elapsed

		booked: list[str] = []
		samples: dict[str, list[float]] = {"on": [], "off": []}
		try:
			for i in range(-WARM_UP, rows):
				for name in ("on", "off") if i % 2 == 0 else ("off", "on"):
					elapsed = submit(name)
					if i >= 0:
						samples[name].append(elapsed)
				if i % 25 == 24:
					print(f"\r  submitted {i + 1:,}/{rows:,} of each", end="", file=sys.stderr, flush=True)
			print(file=sys.stderr)
			frappe.local.afas_routes = enabled
			queued = frappe.db.count(LOG, {"mapping": ledger, "status": "Queued"})
			print("  booking (the drain job, run in this process)…", file=sys.stderr, flush=True)
			started = time.perf_counter()
			drain()
			book_time = time.perf_counter() - started
			posts = [r for r in sim.requests if r.method == "POST" and r.connector == "FiEntries"]
			success = frappe.db.count(LOG, {"mapping": ledger, "status": "Success"})
			problems = frappe.get_all(
				LOG,
				filters={"mapping": ledger, "status": ["!=", "Success"]},
				fields=["status", "error", "count(*) as n"],
				group_by="status, error",
				order_by="n desc",
				limit=5,
			)
			for row in problems:  # a benchmark that books nothing must say why
				print(f"  {row.n:,} {row.status}: {row.error}", file=sys.stderr)
			entries: dict[str, set] = {}
			for row in sim.rows("Profit_Transactions"):
				entries.setdefault(row["VoucherNo"], set()).add(row["EntryNo"])
			in_books = len(entries)
			twice = sum(1 for numbers in entries.values() if len(numbers) > 1)
		finally:
			frappe.local.afas_routes = enabled
			_delete_invoices(invoices, customer.name)
			for name in (ledger, customers):
				frappe.db.delete(LINK, {"mapping": name})
				frappe.db.delete(LOG, {"mapping": name})
				frappe.delete_doc("AFAS Connector Mapping", name, force=True, ignore_permissions=True)
			restore_outbound(others)
			frappe.db.commit()

	times = {name: sum(values) for name, values in samples.items()}
	result = {
		"submit_ratio": times["on"] / times["off"],
		"submit_median": statistics.median(a / b for a, b in zip(samples["on"], samples["off"])),
		"docs_per_s": queued / book_time if book_time else 0.0,
		"queued": queued,
		"posts": len(posts),
		"success": success,
		"in_books": in_books,
		"booked_twice": twice,
	}
	per_submit = (times["on"] - times["off"]) / rows * 1000
	print(
		f"Sales Invoice submits, {rows:,} each, a commit per submit, alternating: ledger mapping enabled "
		f"{times['on']:.2f} s vs disabled {times['off']:.2f} s -> {result['submit_ratio']:.3f}x (median of "
		f"submit-by-submit ratios {result['submit_median']:.3f}x; target <= 1.10), {per_submit:+.2f} ms per submit"
	)
	print(
		f"ledger push to the simulator: {queued:,} queued, {len(posts):,} FiEntries POSTs in {book_time:.2f} s "
		f"-> {result['docs_per_s']:,.0f} docs/s; {success:,} Success, {in_books:,} vouchers in AFAS's books, {twice} booked twice"
	)
	return result
