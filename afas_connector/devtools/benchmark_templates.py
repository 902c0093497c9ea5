"""Benchmark: every inbound template's first run vs a bare ``get_doc(...).insert()`` of the same rows,
per ERPNext DocType (Customer, Supplier, Item, Contact, Address, Project, Cost Center, Employee,
Department, Designation), and what a failing row costs against a good one.

Run: ``bench --site test.localhost afas benchmark templates [--rows 3]``. One simulator with the demo
data (names tagged, so nothing collides with the site's own documents), each template's rows repeated
``--rows`` times under new keys. Per template, in the order the desk lists them (a template's
documents are there for those that build on it):

1. bare: each row mapped with the template's own field map, then ``insert()``, one commit at the end
   (the sync commits a page at a time); the documents are deleted again, untimed;
2. sync: the mapping's first run (``sync_mapping``), timed whole, its rows timed one by one;
3. failing rows: the same template with one more row that writes a Link the site does not have
   (``AFAS benchmark missing``), on a new mapping: every row fails in ERPNext's link check; and a
   bare ``insert()`` of the same values.

Prints per DocType: rows, bare and sync documents/s, **sync / bare** for the whole run and row by row
(bare median row time / sync median row time; target ≥ 0.8×), and the median time of a failing row
against a good one, in the sync and in the bare loop. One run on a shared machine: the
per-row medians say more than the totals (``docs/benchmarks.md``).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import frappe

from afas_connector.binding import pull
from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.binding.record_links import LOOKUPS
from afas_connector.binding.templates import create_mapping, unavailable
from afas_connector.devtools.samples import isolate_outbound, restore_outbound, use_simulator
from afas_connector.simulator import AfasSimulator
from afas_connector.sync.personal_data import scrub_row
from afas_connector.sync.templates import TEMPLATES, Template

#: Templates whose DocType is the app's own (AFAS Reference Code): no ERPNext insert to compare with;
#: and the payroll journal's (Journal Entry): one document per AFAS entry of many rows, not per row.
SKIP_DOCTYPES = {"AFAS Reference Code", "Journal Entry"}
MISSING = "AFAS benchmark missing"
#: The columns that name a row's document (tagged per run, so nothing collides with the site's own).
NAME_COLUMNS = {
	"Profit_Debtor": "DebtorName",
	"Profit_Creditor": "CreditorName",
	"Profit_Projects": "Description",
	"Profit_CostCentre": "Description",
	"ERP_OrgUnits": "Description",
	"ERP_Functions": "Description",
}


def _grow(sim: AfasSimulator, template: Template, copies: int, tag: str) -> None:
	"""The template's demo rows ``copies`` times, under new keys and tagged names."""
	connector, key = template.connector, template.key_field
	rows = sim.rows(connector)
	for row in rows:
		if connector == "Profit_Article":
			sim.update_row(connector, row[key], {key: f"{row[key]}-{tag}"})
		elif connector in NAME_COLUMNS:
			column = NAME_COLUMNS[connector]
			sim.update_row(connector, row[key], {column: f"{row[column]} {tag}"})
	base = sim.rows(connector)
	extra = []
	for copy in range(1, copies):
		for row in base:
			new = dict(row)
			value = row[key]
			new[key] = value + 100_000 * copy if isinstance(value, int) else f"{value}-{copy}"
			if connector in NAME_COLUMNS:
				column = NAME_COLUMNS[connector]
				new[column] = f"{row[column]} {copy}"
			extra.append(new)
	if extra:
		sim.add_rows(connector, extra)


def _timed_rows() -> tuple[dict[str, list[float]], Any]:
	"""Time every row the sync writes (good and failed apart); returns the times and the original."""
	times: dict[str, list[float]] = {"good": [], "fail": []}
	original = pull._Writer._write_row

	def timed(self, key, row, link, present, new_links):
		started = time.perf_counter()
		ok = original(self, key, row, link, present, new_links)
		times["good" if ok else "fail"].append(time.perf_counter() - started)
		return ok

	pull._Writer._write_row = timed
	return times, original


def _bare(doc: Any, rows: list[dict[str, Any]]) -> tuple[float, list[float], list[float], list[str]]:
	"""Insert each row's values as a script would: total seconds, good and failed row times, names."""
	field_map = doc.field_map()
	allowed = frozenset(r.afas_field for r in doc.field_mappings if r.afas_field)
	good, failed, names = [], [], []
	started = time.perf_counter()
	for row in rows:
		row = scrub_row(row, allowed)
		values, errors = field_map.to_erpnext(row, key=str(row.get(doc.afas_key_field)), lookups=LOOKUPS)
		one = time.perf_counter()
		frappe.db.savepoint("bare")
		try:
			if errors:
				raise ValueError(errors[0].message)
			names.append(
				frappe.get_doc({"doctype": doc.erpnext_doctype, **values})
				.insert(ignore_permissions=True)
				.name
			)
			good.append(time.perf_counter() - one)
		except Exception:
			frappe.db.rollback(save_point="bare")
			frappe.clear_messages()
			failed.append(time.perf_counter() - one)
	frappe.db.commit()
	return time.perf_counter() - started, good, failed, names


def _drop_documents(doctype: str, names: list[str]) -> None:
	"""Delete the documents and their child rows by SQL: ``delete_doc`` enqueues clean-up jobs, and a
	bench without workers fills its queue."""
	names = [n for n in names if n]
	tables = [f.options for f in frappe.get_meta(doctype).get_table_fields()]
	for start in range(0, len(names), 500):
		chunk = names[start : start + 500]
		for table in tables:
			frappe.db.delete(table, {"parent": ["in", chunk], "parenttype": doctype})
		frappe.db.delete(doctype, {"name": ["in", chunk]})
	frappe.db.commit()


def _drop_mapping(name: str, doctype: str | None) -> None:
	if doctype:
		_drop_documents(doctype, frappe.get_all(LINK, filters={"mapping": name}, pluck="reference_name"))
	frappe.db.delete(LINK, {"mapping": name})
	frappe.db.delete(LOG, {"mapping": name})
	frappe.db.delete("AFAS File Link", {"mapping": name})
	_drop_documents(MAPPING, [name])


def _missing_link(doctype: str, written: set[str]) -> str | None:
	"""A Link field of ``doctype`` the template does not write, to make every row fail on."""
	for field in frappe.get_meta(doctype).fields:
		if (
			field.fieldtype == "Link"
			and field.fieldname not in written
			and field.options not in ("DocType", "User")
		):
			if not field.read_only and frappe.db.exists("DocType", field.options):
				return field.fieldname
	return None


def _median_ms(values: list[float]) -> float:
	return statistics.median(values) * 1000 if values else float("nan")


def run(copies: int = 3, answers: dict[str, Any] | None = None) -> list[dict[str, Any]]:
	frappe.set_user("Administrator")
	tag = frappe.generate_hash(length=5)
	company = (
		frappe.defaults.get_global_default("company") or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	for gender in ("Male", "Female"):  # ERPNext's setup wizard makes them; a test site may lack them
		if not frappe.db.exists("Gender", gender):
			frappe.get_doc({"doctype": "Gender", "gender": gender}).insert(ignore_permissions=True)
	answers = {"company": company, "article_group": "All Item Groups", **(answers or {})}
	results: list[dict[str, Any]] = []
	made: list[tuple[str, str]] = []
	grown: set[str] = set()  # a connector two templates read (debtors, their addresses) grows once
	paused = isolate_outbound()
	times, original = _timed_rows()
	try:
		with AfasSimulator(port=0) as sim:
			use_simulator(sim.base_url)
			for template in TEMPLATES.values():
				if (
					template.direction != "Inbound"
					or template.doctype in SKIP_DOCTYPES
					or unavailable(template)
				):
					continue
				if template.connector not in grown:
					_grow(sim, template, copies, tag)
					grown.add(template.connector)
				mapping = create_mapping(template.id, answers, f"Benchmark {template.title} {tag}")["mapping"]
				made.append((mapping, template.doctype))
				frappe.db.set_value(
					MAPPING, mapping, {"enabled": 1, "image_field": "", "dossier_attachments": 0}
				)
				frappe.db.commit()
				doc = frappe.get_doc(MAPPING, mapping)
				rows = sim.rows(template.connector)
				bare_s, bare_good, bare_fail, names = _bare(doc, rows)
				_drop_documents(template.doctype, names)
				times["good"].clear()
				times["fail"].clear()
				started = time.perf_counter()
				log = pull.sync_mapping(mapping, trigger="Manual")
				sync_s = time.perf_counter() - started
				sync_good = list(times["good"])
				# failing rows: one more row writing a Link the site does not have
				field = _missing_link(template.doctype, {r.erpnext_field for r in doc.field_mappings})
				fail_sync, fail_bare = [], []
				failing = None
				if field:
					failing = frappe.copy_doc(doc)
					failing.update(
						{
							"mapping_name": f"Benchmark failing {template.id} {tag}",
							"erpnext_key_field": "",
							"sync_state": None,
							"watermark": None,
							"last_run": None,
						}
					)
					failing.append(
						"field_mappings",
						{
							"afas_field": "",
							"erpnext_field": field,
							"transform": "constant",
							"transform_options": MISSING,
						},
					)
					try:
						failing.insert(ignore_permissions=True)
					except frappe.ValidationError as exc:  # the mapping's own checks refuse it: say so
						print(f"  {template.doctype}: no failing run ({exc})", file=sys.stderr)
						frappe.db.rollback()
						failing = None
				if failing:
					frappe.db.set_value(MAPPING, failing.name, "enabled", 1)
					frappe.db.commit()
					made.append((failing.name, template.doctype))
					times["fail"].clear()
					pull.sync_mapping(failing.name, trigger="Manual")
					fail_sync = list(times["fail"])
					_s, _g, fail_bare, extra = _bare(failing, rows[: max(5, len(rows) // 3)])
					_drop_documents(template.doctype, extra)
				good = len(bare_good)
				result = {
					"doctype": template.doctype,
					"template": template.id,
					"rows": len(rows),
					"bare_docs_per_s": good / bare_s if bare_s else 0.0,
					"sync_docs_per_s": (log.inserted or 0) / sync_s if sync_s else 0.0,
					"bare_failed": len(bare_fail),
					"sync_failed": log.failed or 0,
					"good_ms": _median_ms(sync_good),
					"bare_good_ms": _median_ms(bare_good),
					"fail_ms": _median_ms(fail_sync),
					"bare_fail_ms": _median_ms(fail_bare),
				}
				result["ratio"] = (
					result["sync_docs_per_s"] / result["bare_docs_per_s"] if good else float("nan")
				)
				results.append(result)
				print(
					f"  {template.doctype}: {result['ratio']:.2f}x ({len(rows)} rows)",
					file=sys.stderr,
					flush=True,
				)
	finally:
		pull._Writer._write_row = original
		for name, doctype in reversed(made):
			_drop_mapping(name, doctype)
		restore_outbound(paused)
	print(
		f"{'DocType':<13}{'template':<23}{'rows':>5}{'bare/s':>7}{'sync/s':>7}{'sync/bare':>10}"
		f"{'per row':>8}{'good ms':>8}{'bare ms':>8}{'fail ms':>8}{'fail/good':>10}{'bare':>7}"
	)
	for r in results:
		r["row_ratio"] = r["bare_good_ms"] / r["good_ms"] if r["good_ms"] else float("nan")
		print(
			f"{r['doctype']:<13}{r['template']:<23}{r['rows']:>5}{r['bare_docs_per_s']:>7.1f}"
			f"{r['sync_docs_per_s']:>7.1f}{r['ratio']:>9.2f}x{r['row_ratio']:>7.2f}x{r['good_ms']:>8.0f}"
			f"{r['bare_good_ms']:>8.0f}{r['fail_ms']:>8.0f}{r['fail_ms'] / r['good_ms']:>9.2f}x"
			f"{r['bare_fail_ms'] / r['bare_good_ms']:>6.2f}x"
		)
	ratios = [r["ratio"] for r in results if r["ratio"] == r["ratio"]]
	rows = [r["row_ratio"] for r in results if r["row_ratio"] == r["row_ratio"]]
	print(
		f"RESULT: sync/bare over {len(results)} DocTypes: lowest {min(ratios, default=float('nan')):.2f}x for "
		f"the whole run (a run's fixed costs weigh on a run of a few ms rows), lowest "
		f"{min(rows, default=float('nan')):.2f}x row by row (medians); target >= 0.8x each"
	)
	return results
