"""AFAS Webhook Route: one row of AFAS Settings' Webhook Routes (checked there, binding/webhooks.py)."""

from frappe.model.document import Document


class AFASWebhookRoute(Document):
	pass
