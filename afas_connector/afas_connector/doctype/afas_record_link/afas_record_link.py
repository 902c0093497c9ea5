"""AFAS Record Link: which ERPNext document an AFAS record became, and the hash of what was written.

A link DocType rather than a custom field on every mapped DocType: it works for any DocType without
altering ERPNext's tables, one ERPNext document can be linked from several mappings, and the content
hash and "missing in AFAS" flag have a home. Reads and writes go through ``binding/record_links.py``.
"""

import frappe
from frappe import _
from frappe.model.document import Document

from afas_connector.binding.constants import LINK

#: What a link says: which AFAS record is which ERPNext document. Only the app writes these (runs,
#: pushes, a lost answer settled through its own method): a link aimed by hand at a document would let
#: the next run update, amend or cancel that document with the mapping author's rights.
IDENTITY = ("mapping", "environment", "afas_key", "reference_doctype", "reference_name")


class AFASRecordLink(Document):
	def validate(self) -> None:
		if self.flags.ignore_permissions or frappe.session.user == "Administrator":
			return  # the app's own writes (binding/record_links.py), or the site's owner
		changed = [f for f in IDENTITY if self.is_new() or self.has_value_changed(f)]
		if changed:
			frappe.throw(
				_(
					"Record Links are written by the connector's runs and pushes: {0} cannot be set by hand "
					"(delete the link to unlink a record)"
				).format(", ".join(changed)),
				frappe.PermissionError,
				title=_("Not allowed"),
			)


def on_doctype_update() -> None:
	# One link per AFAS key, per mapping (pair), per AFAS environment.
	frappe.db.add_unique(
		LINK, ["environment", "mapping", "afas_key"], constraint_name="unique_environment_mapping_afas_key"
	)
	frappe.db.add_index(LINK, ["reference_doctype", "reference_name"])
