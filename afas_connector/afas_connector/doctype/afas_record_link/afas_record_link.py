"""AFAS Record Link: which ERPNext document an AFAS record became, and the hash of what was written.

A link DocType rather than a custom field on every mapped DocType: it works for any DocType without
altering ERPNext's tables, one ERPNext document can be linked from several mappings, and the content
hash and "missing in AFAS" flag have a home. Reads and writes go through ``binding/record_links.py``.
"""

import frappe
from frappe.model.document import Document

from afas_connector.binding.constants import LINK


class AFASRecordLink(Document):
	pass


def on_doctype_update() -> None:
	# One link per AFAS key, per mapping (pair), per AFAS environment.
	frappe.db.add_unique(
		LINK, ["environment", "mapping", "afas_key"], constraint_name="unique_environment_mapping_afas_key"
	)
	frappe.db.add_index(LINK, ["reference_doctype", "reference_name"])
