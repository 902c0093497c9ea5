"""``bench --site S afas …`` commands: sync a mapping, or run the demo against the simulator."""

from __future__ import annotations

import sys

import click
from frappe.commands import get_site, pass_context


@click.group("afas")
def afas() -> None:
	"""AFAS Profit connector."""


def duration(seconds: float) -> str:
	"""A run's time left for the progress line: ``1 h 05 min``, ``3 min 20 s``, ``40 s``."""
	s = max(0, round(seconds))
	if s >= 3600:
		return f"{s // 3600} h {(s % 3600) // 60:02d} min"
	if s >= 60:
		return f"{s // 60} min {s % 60:02d} s"
	return f"{s} s"


@afas.command("sync")
@click.argument("mapping")
@click.option("--full", is_flag=True, default=False, help="Ignore the watermark and read every row.")
@pass_context
def sync(context, mapping: str, full: bool = False) -> None:
	"""Run an inbound MAPPING now, in this process, with a progress line."""
	import frappe

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
		from afas_connector.binding.pull import AlreadyRunning, switched_off, sync_mapping

		if frappe.db.exists("AFAS Connector Mapping", mapping) and (off := switched_off(mapping)):
			click.echo(off, err=True)  # not a run that stopped after 0 pages
			sys.exit(1)

		def progress(data: dict) -> None:
			end = "\n" if data["finished"] else ""
			pace = f", {data['rows_per_second']} rows/s" if data.get("rows_per_second") else ""
			if data.get("percent") is not None and not data["finished"]:
				pace += f", {data['percent']}%"
			if data.get("seconds_left") is not None and not data["finished"]:
				pace += f", about {duration(data['seconds_left'])} left"
			click.echo(f"\r{mapping}: page {data['pages']}, {data['description']}{pace}\033[K", nl=False)
			if end:
				click.echo("")

		try:
			log = sync_mapping(mapping, trigger="Manual", full=full, progress=progress)
		except AlreadyRunning as exc:
			click.echo(str(exc), err=True)
			sys.exit(1)
		log.reload()
		click.echo(f"{log.status}: Sync Log {log.name}" + (f" — {log.error}" if log.error else ""))
		if log.status == "Failed":
			sys.exit(1)
	finally:
		frappe.destroy()


@afas.command("demo")
@click.option("--port", default=8899, show_default=True, help="Port of the simulator on 127.0.0.1.")
@click.option("--rows", default=0, help="Generate this many extra AFAS debtors first.")
@click.option("--serve", is_flag=True, default=False, help="Keep the simulator running afterwards.")
@pass_context
def demo(context, port: int, rows: int, serve: bool) -> None:
	"""Start the AFAS simulator, configure example mappings, sync them and print a summary."""
	import frappe

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
		from afas_connector.devtools.demo import DemoError, run_demo

		frappe.set_user("Administrator")
		try:
			summary = run_demo(
				port=port,
				rows=rows,
				serve=serve,
				echo=lambda text: click.echo(text, nl=not text.startswith("\r")),
			)
		except DemoError as exc:
			click.echo(str(exc), err=True)
			sys.exit(1)
		if any(row["status"] == "Failed" for row in summary):
			sys.exit(1)
	finally:
		frappe.destroy()


@afas.command("benchmark")
@click.argument("which", type=click.Choice(["inbound", "outbound", "ledger", "push", "templates"]))
@click.option(
	"--rows",
	type=int,
	default=None,
	help="Rows (inbound: 10000), saves per side (outbound: 1000), submits per side (ledger: 1000) "
	"or documents per worker (push: 100); templates: copies of each template's demo rows (3).",
)
@click.option("--latency-ms", type=int, default=200, show_default=True, help="push: AFAS's answer time.")
@click.option("--workers", default="1,2,4,8", show_default=True, help="push: worker counts to run.")
@click.option(
	"--page-latency-ms",
	type=int,
	default=None,
	help="inbound: compare a run whose every page AFAS answers this late with one without latency.",
)
@click.option("--page-size", type=int, default=1000, show_default=True, help="inbound latency: rows a page.")
@pass_context
def benchmark(
	context,
	which: str,
	rows: int | None = None,
	latency_ms: int = 200,
	workers: str = "1,2,4,8",
	page_latency_ms: int | None = None,
	page_size: int = 1000,
) -> None:
	"""Run a benchmark against the simulator and print its ratios."""
	import frappe

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		if which == "inbound" and page_latency_ms is not None:
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_pull import run_page_latency

			run_page_latency(rows or 10_000, page_latency_ms, page_size)
		elif which == "inbound":
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_pull import run

			run(rows or 10_000)
		elif which == "templates":
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_templates import run

			run(rows or 3)
		elif which == "ledger":
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_ledger import run

			run(rows or 1_000)
		elif which == "push":
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_parallel_push import run

			counts = tuple(int(n) for n in workers.split(",") if n.strip())
			run(latency_ms, counts, rows or 100)
		else:
			# lazy: Frappe imports every app's commands for every bench command; the app loads when its own runs
			from afas_connector.devtools.benchmark_push import run

			run(rows or 1_000)
	finally:
		frappe.destroy()


commands = [afas]
