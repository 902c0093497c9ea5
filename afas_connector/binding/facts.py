"""Facts a flow records once, for the observers to act on: a flow tells, it never calls an observer.

A run, a push or a connection test that meets a refused credential says so here, and so does every
job of the app when it starts; the observers registered in ``hooks.py`` under ``afas_observers`` (the
alerts) hear it. So the flows (``pull``, ``push``, ``outbox``) and the services (``connection``) never
import ``alerts`` or ``monitoring``: those sit above them and read what the flows wrote (Sync Logs,
AFAS Settings) or are told here.

An observer's failure is logged and never reaches the flow: a flow's own outcome is already written.
"""

from __future__ import annotations

from typing import Any

import frappe

#: The facts the app tells, and what each carries.
CREDENTIALS_REFUSED = "credentials_refused"  # exc, sync_log or during: AFAS answered 401/403
CREDENTIALS_ACCEPTED = "credentials_accepted"  # a connection test was answered
JOB_STARTED = "job_started"  # one of the app's jobs runs (it may run while the scheduler is off)


def tell(fact: str, **details: Any) -> None:
	"""Tell the observers of ``fact`` (``afas_observers`` in the installed apps' hooks), each with
	``details`` as keyword arguments. Never raises."""
	for path in frappe.get_hooks("afas_observers", {}).get(fact, []):
		try:
			frappe.get_attr(path)(**details)
		except Exception:
			frappe.log_error(title=f"AFAS observer {path} of {fact} failed")
