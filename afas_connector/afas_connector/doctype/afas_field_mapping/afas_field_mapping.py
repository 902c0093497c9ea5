from frappe.model.document import Document


class AFASFieldMapping(Document):
	pass
