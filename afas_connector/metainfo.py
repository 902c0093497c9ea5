"""AFAS metainfo for the desk, cached briefly so saving a mapping does not wait on AFAS every time."""

from __future__ import annotations

from typing import Any

import frappe

from afas_connector.connection import get_client
from afas_connector.sync.metainfo import field_paths

CACHE_SECONDS = 600


def connector_fields(connector: str, kind: str, *, use_cache: bool = True) -> dict[str, dict[str, Any]]:
	"""``{field path: metainfo field}`` of a GetConnector (``kind="get"``) or UpdateConnector (``"update"``)."""
	if kind not in ("get", "update"):
		frappe.throw(frappe._("kind must be 'get' or 'update'"))
	key = f"afas_metainfo::{kind}::{connector}"
	if use_cache:
		cached = frappe.cache.get_value(key)
		if cached:
			return cached
	with get_client() as client:
		meta = client.metainfo_get(connector) if kind == "get" else client.metainfo_update(connector)
	paths = field_paths(meta)
	frappe.cache.set_value(key, paths, expires_in_sec=CACHE_SECONDS)
	return paths


def kind_for(direction: str) -> str:
	return "get" if direction == "Inbound" else "update"
