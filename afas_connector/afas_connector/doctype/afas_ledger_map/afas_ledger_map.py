"""AFAS Ledger Map: one row of a ledger mapping's maps — an ERPNext account, tax account, voucher
type or bank account, company or cost centre, and the AFAS value it is: ledger account, VAT code,
journal, administration or dimension code. The rows are checked with their mapping
(``binding/ledger_mapping.py``, which also says what each kind of row maps from)."""

from frappe.model.document import Document


class AFASLedgerMap(Document):
	pass
