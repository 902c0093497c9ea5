"""AFAS Alert: one problem an AFAS Manager was told about, open until it is resolved.

The rows are written by ``binding/alerts.py`` only: raising an alert notifies the AFAS Managers once,
resolving it once more. ``open_key`` (unique, empty once resolved) makes the database refuse a
second open alert for the same problem, also when two workers notice it at the same moment.
"""

from frappe.model.document import Document


class AFASAlert(Document):
	pass
