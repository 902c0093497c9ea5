"""AFAS Reference Code: AFAS's ledger reference data (administrations, ledger accounts, VAT codes,
journals) read by the ledger templates, so maps to AFAS can be picked in the desk instead of typed.
ERPNext has no DocType for AFAS's codes: its Accounts, Tax Templates and Companies are ERPNext's own
chart, which these codes are mapped to, not replaced by."""

from frappe.model.document import Document


class AFASReferenceCode(Document):
	def autoname(self) -> None:
		"""``Journal 1 90``, ``VAT Code 1``: the type, the administration where it has one, the code."""
		parts = [self.reference_type, str(self.administration) if self.administration else "", self.code]
		self.name = " ".join(p.strip() for p in parts if p and p.strip())
