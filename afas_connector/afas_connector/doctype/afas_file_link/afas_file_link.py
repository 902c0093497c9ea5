"""AFAS File Link: one AFAS file that was copied into ERPNext (an image, a dossier attachment) or an
ERPNext file that was sent to AFAS, so each is copied or sent once; a changed AFAS file (a new file id
or image id) replaces its copy. Reads and writes go through ``binding/attachments.py``."""

import frappe
from frappe.model.document import Document

from afas_connector.binding.constants import FILE_LINK


class AFASFileLink(Document):
	pass


def on_doctype_update() -> None:
	frappe.db.add_index(FILE_LINK, ["mapping", "environment", "afas_reference"])
	frappe.db.add_index(FILE_LINK, ["reference_doctype", "reference_name"])
