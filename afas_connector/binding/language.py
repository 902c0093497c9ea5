"""The language of the app's background work: a job writes its Sync Logs, alerts and notes in the
language of whoever queued it, else the site's (System Settings), as the desk would show them.

Frappe starts a job in ``site_config``'s ``lang`` or English (``frappe.init``) and ``set_user`` does
not change it; its ``before_job`` hook (Frappe 15 and 16) is where the job's user is known."""

from __future__ import annotations

from typing import Any

import frappe
from frappe.translate import get_user_lang

#: The app's own jobs: enqueued by path, or run by the scheduler as a Scheduled Job Type.
APP = "afas_connector."


def before_job(method: str | None = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
	"""``before_job`` hook: for the app's jobs only, the reader's language (the job's user's, else the
	site's). Other apps' jobs are left as Frappe starts them."""
	job_type = str((kwargs or {}).get("job_type") or "")
	if not (str(method or "").startswith(APP) or job_type.startswith(APP)):
		return
	frappe.local.lang = get_user_lang(frappe.session.user)
