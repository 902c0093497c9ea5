"""Record Links, Sync Logs and a mapping's watermark, cursor and failed rows now belong to one AFAS
environment. What a site has belongs to the environment its settings point at now."""

import json

import frappe

from afas_connector.binding.connection import environment
from afas_connector.binding.constants import LINK, LOG, MAPPING

STATE_KEYS = {"watermark", "run_started", "cursor", "full", "retry_keys"}


def execute() -> None:
	env = environment()
	frappe.db.sql(f"update `tab{LINK}` set environment=%s where ifnull(environment, '')=''", env)
	frappe.db.sql(f"update `tab{LOG}` set environment=%s where ifnull(environment, '')=''", env)
	for name, text in frappe.get_all(MAPPING, fields=["name", "sync_state"], as_list=True):
		state = json.loads(text or "{}")
		if state and set(state) <= STATE_KEYS:  # one state, kept before environments were apart
			frappe.db.set_value(MAPPING, name, "sync_state", json.dumps({env: state}), update_modified=False)
	# The key alone was unique per mapping; now per mapping and environment (on_doctype_update).
	if frappe.db.sql(f"show index from `tab{LINK}` where Key_name='unique_mapping_afas_key'"):
		frappe.db.sql_ddl(f"alter table `tab{LINK}` drop index unique_mapping_afas_key")
