"""The checks of a field map's attachment settings (``binding/attachments.py`` copies the files):
pictures and dossier attachments of an inbound mapping, files sent with an outbound push. Each check
runs only when its setting is used; the controller says which."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasError
from afas_connector.binding.attachments import match_target
from afas_connector.binding.connection import connector_fields
from afas_connector.binding.mapping_checks import escape_html

#: What a picture from AFAS may be written into.
IMAGE_FIELDTYPES = ("Attach Image", "Attach", "Data")


def check_pictures(doc: Any) -> None:
	"""Inbound, with an Image Field: the field can hold a file, and the image GetConnector is named."""
	doc.image_field = doc.image_field.strip()
	field = frappe.get_meta(doc.erpnext_doctype).get_field(doc.image_field)
	if not field or field.fieldtype not in IMAGE_FIELDTYPES:
		frappe.throw(
			_("Image Field: {0} is not an image or attachment field of {1}").format(
				doc.image_field, doc.erpnext_doctype
			),
			title=_("AFAS attachments"),
		)
	missing = [
		_(label)
		for label, value in (
			("Image GetConnector", doc.image_connector),
			("Image: Record Column", doc.image_record_field),
			("Image: Image Id Column", doc.image_id_field),
		)
		if not (value or "").strip()
	]
	if missing:
		frappe.throw(
			_("Pictures from AFAS need: {0}").format(", ".join(missing)), title=_("AFAS attachments")
		)


def check_dossier(doc: Any) -> None:
	"""Inbound, with Copy Dossier Attachments: a dossier item finds its document by a column."""
	doc.subject_connector = (doc.subject_connector or "").strip() or "Profit_Subjects"
	if not (doc.subject_record_field or "").strip():
		frappe.throw(
			_("Dossier attachments need the Dossier: Record Column (e.g. Project or OrgPersId)"),
			title=_("AFAS attachments"),
		)
	match = (doc.subject_match_field or "").strip()
	if match and match != doc.afas_key_field and not match_target(doc, match):
		frappe.throw(
			_(
				"Dossier: Record Column Holds {0}: map {0} to a field of {1} (a row of the field "
				"mapping), so a dossier item finds its document by it"
			).format(match, doc.erpnext_doctype),
			title=_("AFAS attachments"),
		)


def check_sending(doc: Any) -> None:
	"""Outbound, with Send Attachments: the sub-object that carries each file."""
	doc.attachment_object = (doc.attachment_object or "").strip() or "KnSubjectAttachment"


def check_file_columns(doc: Any) -> None:
	"""The picture and dossier GetConnectors have the columns the mapping names (metainfo)."""
	wanted = []
	if (doc.image_field or "").strip():
		wanted.append((doc.image_connector, [doc.image_record_field, doc.image_id_field]))
	if doc.dossier_attachments:
		wanted.append((doc.subject_connector, [doc.subject_record_field]))
	for connector, columns in wanted:
		try:
			known = connector_fields(connector, "get")
		except AfasError as exc:
			frappe.throw(
				_("AFAS does not know {0} connector {1}: {2}").format(
					"get", escape_html(connector), escape_html(str(exc))
				),
				title=_("Unknown AFAS connector"),
			)
		for column in columns:
			if column not in known:
				frappe.throw(
					_("AFAS field {0} is not in {1} connector {2} (metainfo)").format(
						column, "get", connector
					),
					title=_("Unknown AFAS field"),
				)
