"""Scheduler entry points (called with no arguments by frappe's scheduler)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe.utils import get_datetime, now_datetime

from afas_connector.sync.schedule import is_due

MAPPING = "AFAS Connector Mapping"


def afas_inbound_tick() -> list[str]:
	"""Every minute: enqueue each enabled inbound mapping that is due, once (RQ de-duplication)."""
	if not frappe.db.get_single_value("AFAS Settings", "enabled"):
		return []
	now = now_datetime()
	queued = []
	for mapping in frappe.get_all(
		MAPPING,
		filters={"enabled": 1, "direction": "Inbound"},
		fields=["name", "schedule", "interval_minutes", "cron_expression", "last_run"],
	):
		last_run = get_datetime(mapping.last_run) if mapping.last_run else None
		if is_due(
			mapping.schedule,
			last_run=last_run,
			now=now,
			interval_minutes=mapping.interval_minutes,
			cron=mapping.cron_expression,
		):
			if enqueue_sync(mapping.name, trigger="Scheduler") is not None:
				queued.append(mapping.name)
	return queued


def enqueue_sync(mapping: str, *, trigger: str, full: bool = False) -> Any:
	"""One background job per mapping on the long queue; a second request while queued is dropped."""
	from afas_connector.inbound import LOCK_SECONDS

	return frappe.enqueue(
		"afas_connector.tasks.run_inbound_job",
		queue="long",
		timeout=LOCK_SECONDS,
		job_id=f"afas_inbound::{mapping}",
		deduplicate=True,
		mapping=mapping,
		trigger=trigger,
		full=full,
	)


def run_inbound_job(mapping: str, trigger: str = "Scheduler", full: bool = False) -> str | None:
	"""The background job: run the mapping unless another run holds its lock."""
	from afas_connector.inbound import AlreadyRunning, sync_mapping

	try:
		return sync_mapping(mapping, trigger=trigger, full=full).name
	except AlreadyRunning:
		return None


def afas_outbound_sweep() -> int:
	"""Every few minutes: re-queue outbound changes whose job vanished (worker crash, Redis flush)."""
	from afas_connector.outbound import sweep

	return sweep()


def afas_clear_old_sync_logs() -> int:
	"""Daily: delete successful Sync Logs older than the retention in AFAS Settings."""
	from afas_connector.sync_log import clear_old_logs

	days = frappe.db.get_single_value("AFAS Settings", "log_retention_days") or 30
	return clear_old_logs(int(days))
