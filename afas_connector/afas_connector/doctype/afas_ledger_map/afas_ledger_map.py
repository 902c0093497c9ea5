"""AFAS Ledger Map: one row of a ledger mapping's maps — an ERPNext account, tax account, voucher
type or bank account, company or cost centre, and the AFAS value it is: ledger account, VAT code,
journal, administration or dimension code."""

from frappe.model.document import Document

#: What each kind of row maps from (the Dynamic Link's DocType; a journal row may name an Account).
ERPNEXT_DOCTYPE = {
	"Account": "Account",
	"VAT Code": "Account",
	"Journal": "DocType",
	"Administration": "Company",
	"Cost Centre": "Cost Center",
}


class AFASLedgerMap(Document):
	pass
