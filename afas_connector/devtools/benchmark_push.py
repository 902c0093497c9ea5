"""Benchmark: what an outbound mapping costs a document save, and push throughput.

Run: ``bench --site test.localhost afas benchmark outbound --rows 1000``. Saves ``rows`` Customers
with an enabled outbound mapping and ``rows`` with it disabled (target ≤ 1.10×), and ``rows`` ToDos
(no mapping) with and without the app's ``doc_events`` handler in the hook list (target ≤ 1.02×).
Each save commits on its own, as every desk save, API call and Data Import row does. The two sides
alternate save by save, each going first every other time, after an untimed warm-up of 50 saves
each: machine noise and warm-up fall on both alike. "Disabled" is what the handler sees when the
connector is off (no mapping for the DocType), switched per save without a database write. A
second Customer pair saves 50 per transaction (a bulk change in one request), for information. The
handler is also timed alone. Then the queued Customers are pushed to the simulator: documents/s.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import frappe

from afas_connector.binding.doc_events import _routes, clear_outbound_cache, on_document_event
from afas_connector.binding.outbox import drain
from afas_connector.devtools.samples import (
	OUTBOUND,
	isolate_outbound,
	new_customer,
	restore_outbound,
	upsert_mapping,
	use_simulator,
)
from afas_connector.simulator import AfasSimulator

HANDLER = "afas_connector.binding.doc_events.on_document_event"
BATCH = 50


def _customer(token: str, i: int) -> None:
	new_customer(f"Bench {token} {i}")


def _todo(token: str, i: int) -> None:
	frappe.get_doc({"doctype": "ToDo", "description": f"bench {token} {i}"}).insert(ignore_permissions=True)


def _without_handler() -> dict[str, Any]:
	"""The site's doc_events with this app's handler taken out (what a site without the app runs)."""
	hooks = frappe.get_doc_hooks()
	return {
		dt: {ev: [m for m in methods if m != HANDLER] for ev, methods in events.items()}
		for dt, events in hooks.items()
	}


HANDLER_CALLS = 100_000


def _handler_seconds() -> float:
	"""What the doc_events handler costs a save of an unmapped DocType, timed without the save's noise."""

	note = frappe.get_doc({"doctype": "ToDo", "description": "not saved"})
	on_document_event(note, "on_update")  # the cached lookup is warm, as after any earlier save
	started = time.perf_counter()
	for _ in range(HANDLER_CALLS):
		on_document_event(note, "on_update")
	return (time.perf_counter() - started) / HANDLER_CALLS


def run(rows: int = 1000) -> dict[str, float]:

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	with AfasSimulator(port=0) as sim:
		use_simulator(sim.base_url)
		# The demo's Customer → KnSalesRelationOrg mapping, without its condition.
		mapping = upsert_mapping(
			{**OUTBOUND, "mapping_name": f"Benchmark Push {token}", "condition": "", "link_with": ""}
		)
		# Measure one mapping: other enabled outbound mappings (the demo's) are off for the run.
		others = isolate_outbound(mapping.name)
		mapped = _routes()  # outbound: {"Customer": [the benchmark mapping]}; mapped: every mapped DocType
		# A connector switched off: no outbound mapping, links still kept for the mapped DocTypes.
		disabled = {"outbound": {}, "mapped": mapped["mapped"]}
		hooks_with = frappe.get_doc_hooks()
		hooks_without = _without_handler()

		# A side = what the handler sees + which hooks run + what is saved. "Disabled" is the empty
		# map a disabled connector loads, set per save so the two sides can alternate save by save.
		sides = {
			"on": (mapped, hooks_with, _customer),
			"off": (disabled, hooks_with, _customer),
			"todo_app": (mapped, hooks_with, _todo),
			"todo_bare": (mapped, hooks_without, _todo),
		}

		def save(name: str, i: int) -> float:
			doctypes, hooks, fn = sides[name]
			frappe.local.afas_routes = doctypes
			frappe.local.doc_events_hooks = hooks
			started = time.perf_counter()
			fn(f"{token}{name}", i)
			frappe.db.commit()
			return time.perf_counter() - started

		samples: dict[str, list[float]] = {name: [] for name in sides}
		for i in range(-BATCH, rows):  # the first BATCH saves of each side warm up, untimed
			for pair in (("on", "off"), ("todo_app", "todo_bare")):
				for name in pair if i % 2 == 0 else pair[::-1]:  # each goes first every other save
					elapsed = save(name, i)
					if i >= 0:
						samples[name].append(elapsed)
			if i % 50 == 49:
				print(f"\r  saved {i + 1:,}/{rows:,} of each", end="", file=sys.stderr, flush=True)
		print(file=sys.stderr)

		# A bulk change: 50 saves in one transaction, one kick at its commit.
		bulk: dict[str, list[float]] = {"on": [], "off": []}
		for batch in range(-1, rows // BATCH):
			for name in ("on", "off") if batch % 2 == 0 else ("off", "on"):
				doctypes, hooks, fn = sides[name]
				frappe.local.afas_routes = doctypes
				frappe.local.doc_events_hooks = hooks_with
				started = time.perf_counter()
				for i in range(BATCH):
					fn(f"{token}bulk{name}{batch}", i)
				frappe.db.commit()
				if batch >= 0:
					bulk[name].append(time.perf_counter() - started)
		clear_outbound_cache()
		frappe.local.doc_events_hooks = hooks_with
		handler = _handler_seconds()
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
		restore_outbound(others)

	times = {name: sum(values) for name, values in samples.items()}

	def median_ratio(a: str, b: str) -> float:
		"""The median of save-by-save ratios: a save hit by a noisy neighbour does not move it."""
		return statistics.median(x / y for x, y in zip(samples[a], samples[b]))

	result = {
		"mapped_ratio": times["on"] / times["off"],
		"mapped_median": median_ratio("on", "off"),
		"bulk_ratio": sum(bulk["on"]) / sum(bulk["off"]),
		"unmapped_ratio": times["todo_app"] / times["todo_bare"],
		"unmapped_median": median_ratio("todo_app", "todo_bare"),
		"push_docs_per_s": len(queued) / push_time if push_time else 0.0,
		"queued": len(queued),
		"pushed": pushed,
	}
	todo_save = times["todo_bare"] / rows
	result["handler_ratio"] = 1 + handler / todo_save
	per_save = (times["on"] - times["off"]) / rows * 1000
	print(
		f"Customer saves, {rows:,} each, a commit per save, alternating: mapping enabled {times['on']:.2f} s vs disabled {times['off']:.2f} s -> {result['mapped_ratio']:.3f}x (median of save-by-save ratios {result['mapped_median']:.3f}x; target <= 1.10), {per_save:+.2f} ms per save"
	)
	print(
		f"Customer saves, {BATCH} per transaction, {len(bulk['on']) * BATCH:,} each: enabled {sum(bulk['on']):.2f} s vs disabled {sum(bulk['off']):.2f} s -> {result['bulk_ratio']:.3f}x (for information)"
	)
	print(
		f"ToDo saves (no mapping), {rows:,} each, alternating: with the app's handler {times['todo_app']:.2f} s vs without {times['todo_bare']:.2f} s -> {result['unmapped_ratio']:.3f}x (median of save-by-save ratios {result['unmapped_median']:.3f}x; target <= 1.02)"
	)
	print(
		f"  the handler alone, timed over {HANDLER_CALLS:,} calls: {handler * 1e6:.2f} us against a ToDo save of {todo_save * 1000:.2f} ms -> {result['handler_ratio']:.5f}x"
	)
	print(
		f"push to the simulator: {len(queued):,} queued, {pushed:,} POSTs in {push_time:.2f} s -> {result['push_docs_per_s']:,.0f} docs/s"
	)
	return result
