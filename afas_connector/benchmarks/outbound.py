"""Benchmark: what an outbound mapping costs a document save, and push throughput.

Run: ``bench --site test.localhost afas benchmark outbound --rows 1000``. Saves ``rows`` Customers
with an enabled outbound mapping and ``rows`` with the connector disabled (target ≤ 1.10×), and
ToDos (no mapping) with and without the app's ``doc_events`` handler in the hook list (target
≤ 1.02×). Each save commits on its own, as every desk save, API call and Data Import row does; a
second Customer pair saves 50 per transaction (a bulk change in one request), for information.
The sides run interleaved in batches, each side first in turn, after an untimed warm-up batch of
each, so machine noise and warm-up fall on both alike. Then the queued Customers are pushed to the
simulator: documents/s.
"""

from __future__ import annotations

import statistics
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


def _timed(fn, token: str, start: int, count: int, per_commit: int = 1) -> float:
	started = time.perf_counter()
	for i in range(start, start + count):
		fn(token, i)
		if (i - start + 1) % per_commit == 0:
			frappe.db.commit()
	frappe.db.commit()
	return time.perf_counter() - started


HANDLER_CALLS = 100_000


def _handler_seconds() -> float:
	"""What the doc_events handler costs a save of an unmapped DocType, timed without the save's noise."""
	from afas_connector.events import on_document_event

	note = frappe.get_doc({"doctype": "ToDo", "description": "not saved"})
	on_document_event(note, "on_update")  # the cached lookup is warm, as after any earlier save
	started = time.perf_counter()
	for _ in range(HANDLER_CALLS):
		on_document_event(note, "on_update")
	return (time.perf_counter() - started) / HANDLER_CALLS


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
		hooks_with = frappe.get_doc_hooks()
		hooks_without = _without_handler()
		done = 0

		def side(enabled: int, hooks: dict, fn, tag: str, per_commit: int = 1):
			def save(count: int) -> float:
				_set_enabled(enabled)
				_set_hooks(hooks)
				return _timed(fn, f"{token}{tag}", done, count, per_commit)

			return save

		sides = {
			"on": side(1, hooks_with, _customer, "a"),
			"off": side(0, hooks_with, _customer, "b"),
			"bulk_on": side(1, hooks_with, _customer, "c", BATCH),
			"bulk_off": side(0, hooks_with, _customer, "d", BATCH),
			"todo_app": side(1, hooks_with, _todo, "a"),
			"todo_bare": side(1, hooks_without, _todo, "b"),
		}
		pairs = [("on", "off"), ("bulk_on", "bulk_off"), ("todo_app", "todo_bare")]
		times = dict.fromkeys(sides, 0.0)
		rounds: dict[str, list[float]] = {name: [] for name in sides}
		for name in sides:  # warm-up, untimed: the first saves of a process are the slowest
			sides[name](BATCH)
		done = BATCH
		round_no = 0
		while done < rows + BATCH:
			count = min(BATCH, rows + BATCH - done)
			for first, second in pairs:  # each side goes first in every other round
				for name in (first, second) if round_no % 2 == 0 else (second, first):
					rounds[name].append(sides[name](count))
					times[name] += rounds[name][-1]
			round_no += 1
			done += count
			print(f"\r  saved {done - BATCH:,}/{rows:,} of each", end="", file=sys.stderr, flush=True)
		_set_enabled(1)
		_set_hooks(hooks_with)
		print(file=sys.stderr)
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
		for name in others:
			frappe.db.set_value("AFAS Connector Mapping", name, "enabled", 1)
		frappe.db.commit()

	def median_ratio(a: str, b: str) -> float:
		"""Per-round ratios' median: one batch hit by a noisy neighbour does not move it."""
		return statistics.median(x / y for x, y in zip(rounds[a], rounds[b]))

	result = {
		"mapped_ratio": times["on"] / times["off"],
		"mapped_median": median_ratio("on", "off"),
		"bulk_ratio": times["bulk_on"] / times["bulk_off"],
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
		f"Customer saves, {rows:,} each, a commit per save: mapping enabled {times['on']:.2f} s vs disabled {times['off']:.2f} s -> {result['mapped_ratio']:.3f}x (median of {len(rounds['on'])} rounds {result['mapped_median']:.3f}x; target <= 1.10), {per_save:+.2f} ms per save"
	)
	print(
		f"Customer saves, {rows:,} each, {BATCH} per transaction: enabled {times['bulk_on']:.2f} s vs disabled {times['bulk_off']:.2f} s -> {result['bulk_ratio']:.3f}x (for information)"
	)
	print(
		f"ToDo saves (no mapping), {rows:,} each: with the app's handler {times['todo_app']:.2f} s vs without {times['todo_bare']:.2f} s -> {result['unmapped_ratio']:.3f}x (median of rounds {result['unmapped_median']:.3f}x; target <= 1.02)"
	)
	print(
		f"  the handler alone, timed over {HANDLER_CALLS:,} calls: {handler * 1e6:.2f} us per ToDo save of {todo_save * 1000:.2f} ms -> {result['handler_ratio']:.5f}x"
	)
	print(
		f"push to the simulator: {len(queued):,} queued, {pushed:,} POSTs in {push_time:.2f} s -> {result['push_docs_per_s']:,.0f} docs/s"
	)
	return result
