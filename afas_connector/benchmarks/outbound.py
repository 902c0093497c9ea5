"""Benchmark: what an outbound mapping costs a document save, and push throughput.

Run: ``bench --site test.localhost afas benchmark outbound --rows 1000``. Saves ``rows`` Customers
with an enabled outbound mapping and ``rows`` with the connector disabled, interleaved in batches
so machine noise hits both alike (target ≤ 1.10×); saves ToDos (no mapping) with and without the
app's ``doc_events`` handler in the hook list (target ≤ 1.02×); then pushes the queued Customers
to the simulator and reports documents/s.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import frappe

from afas_connector.demo import OUTBOUND, new_customer, upsert_mapping, use_simulator
from afas_connector.events import clear_outbound_cache
from afas_connector.simulator import AfasSimulator

HANDLER = "afas_connector.events.on_document_event"
BATCH = 50


def _customer(token: str, i: int) -> None:
	new_customer(f"Bench {token} {i}")


def _todo(token: str, i: int) -> None:
	frappe.get_doc({"doctype": "ToDo", "description": f"bench {token} {i}"}).insert(ignore_permissions=True)


def _set_enabled(enabled: int) -> None:
	frappe.db.set_single_value("AFAS Settings", "enabled", enabled)
	clear_outbound_cache()
	frappe.db.commit()


def _without_handler() -> dict[str, Any]:
	"""The site's doc_events with this app's handler taken out (what a site without the app runs)."""
	hooks = frappe.get_doc_hooks()
	return {
		dt: {ev: [m for m in methods if m != HANDLER] for ev, methods in events.items()}
		for dt, events in hooks.items()
	}


def _set_hooks(hooks: dict[str, Any]) -> None:
	frappe.local.doc_events_hooks = hooks


def _timed(fn, token: str, start: int, count: int) -> float:
	started = time.perf_counter()
	for i in range(start, start + count):
		fn(token, i)
	frappe.db.commit()
	return time.perf_counter() - started


def run(rows: int = 1000) -> dict[str, float]:
	from afas_connector.outbound import drain

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	with AfasSimulator(port=0) as sim:
		use_simulator(sim.base_url)
		# The demo's Customer → KnSalesRelationOrg mapping, without its condition.
		mapping = upsert_mapping({**OUTBOUND, "mapping_name": f"Benchmark Push {token}", "condition": ""})
		# Measure one mapping: other enabled outbound mappings (the demo's) are off for the run.
		others = frappe.get_all(
			"AFAS Connector Mapping",
			filters={"direction": "Outbound", "enabled": 1, "name": ["!=", mapping.name]},
			pluck="name",
		)
		for name in others:
			frappe.db.set_value("AFAS Connector Mapping", name, "enabled", 0)
		frappe.db.commit()
		times = {"on": 0.0, "off": 0.0, "todo_app": 0.0, "todo_bare": 0.0}
		done = 0
		hooks_with = frappe.get_doc_hooks()
		hooks_without = _without_handler()
		sides = {
			"on": lambda n: (_set_enabled(1), _timed(_customer, token, done, n))[1],
			"off": lambda n: (_set_enabled(0), _timed(_customer, token + "x", done, n))[1],
			"todo_app": lambda n: (_set_hooks(hooks_with), _timed(_todo, token, done, n))[1],
			"todo_bare": lambda n: (_set_hooks(hooks_without), _timed(_todo, token + "x", done, n))[1],
		}
		round_no = 0
		while done < rows:
			count = min(BATCH, rows - done)
			# Alternate which side goes first, so warm-up and cache effects fall on both alike.
			pairs = [("on", "off"), ("todo_app", "todo_bare")]
			for first, second in pairs:
				for side in (first, second) if round_no % 2 == 0 else (second, first):
					times[side] += sides[side](count)
			_set_enabled(1)
			_set_hooks(hooks_with)
			round_no += 1
			done += count
			print(f"\r  saved {done:,}/{rows:,} of each", end="", file=sys.stderr, flush=True)
		print(file=sys.stderr)
		queued = frappe.get_all(
			"AFAS Sync Log", filters={"mapping": mapping.name, "status": "Queued"}, pluck="reference_name"
		)
		print("  pushing (the drain job, run in this process)…", file=sys.stderr, flush=True)
		started = time.perf_counter()
		drain()
		push_time = time.perf_counter() - started
		print(file=sys.stderr)
		pushed = len([r for r in sim.requests if r.method == "POST" and r.connector == "KnSalesRelationOrg"])
		frappe.db.delete("Customer", {"customer_name": ["like", f"Bench {token}%"]})
		frappe.db.delete("ToDo", {"description": ["like", f"bench {token}%"]})
		frappe.db.delete("AFAS Record Link", {"mapping": mapping.name})
		frappe.db.delete("AFAS Sync Log", {"mapping": mapping.name})
		frappe.delete_doc("AFAS Connector Mapping", mapping.name, force=True, ignore_permissions=True)
		for name in others:
			frappe.db.set_value("AFAS Connector Mapping", name, "enabled", 1)
		frappe.db.commit()

	result = {
		"mapped_ratio": times["on"] / times["off"],
		"unmapped_ratio": times["todo_app"] / times["todo_bare"],
		"push_docs_per_s": len(queued) / push_time if push_time else 0.0,
		"queued": len(queued),
		"pushed": pushed,
	}
	print(
		f"Customer saves, {rows:,} each: mapping enabled {times['on']:.2f} s vs disabled {times['off']:.2f} s -> {result['mapped_ratio']:.3f}x (target <= 1.10)"
	)
	print(
		f"ToDo saves (no mapping), {rows:,} each: with the app's handler {times['todo_app']:.2f} s vs without {times['todo_bare']:.2f} s -> {result['unmapped_ratio']:.3f}x (target <= 1.02)"
	)
	print(
		f"push to the simulator: {len(queued):,} queued, {pushed:,} POSTs in {push_time:.2f} s -> {result['push_docs_per_s']:,.0f} docs/s"
	)
	return result
