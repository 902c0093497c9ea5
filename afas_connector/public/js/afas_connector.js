// Text from AFAS is data (docs: design.md, trust model). The connector's DocTypes keep AFAS's keys and
// names exactly as AFAS sent them, in Data fields, and longer text in Code fields. Frappe 15 and 16
// show both as text in a form, but put a Data value into the page as HTML in list columns and the
// report view. afas_connector.show_as_text (called by each DocType's list script, which Frappe runs
// whenever it loads the DocType) gives those fields a formatter that turns < and > into entities: a
// value the form escaped already has none left, so nothing is escaped twice.
frappe.provide("afas_connector");

afas_connector.as_text = (value) =>
	value === null || value === undefined ? "" : String(value).replace(/</g, "&lt;").replace(/>/g, "&gt;");

afas_connector.show_as_text = (doctype, fieldnames) => {
	const fields = (frappe.meta.docfield_map && frappe.meta.docfield_map[doctype]) || {};
	for (const fieldname of fieldnames) {
		if (fields[fieldname]) fields[fieldname].formatter = afas_connector.as_text;
	}
};

// The same formatters from the moment a DocType's meta reaches the desk, not only once its list script
// has run: Frappe 16's report view can draw its cells before that (seen in the desk test).
afas_connector.TEXT_FIELDS = {
	"AFAS Sync Log": ["title", "afas_key"],
	"AFAS File Link": ["afas_reference", "afas_version", "file_name", "afas_key"],
	"AFAS Record Link": ["afas_key", "reversal_key", "afas_modified"],
};
// Frappe 16's report view adds a Status column (from "docstatus") that shows the document's title, an
// AFAS key here, with the bare Data formatter, which does not escape: that column and these fields
// are text in the report view whatever the meta says.
if (frappe.views && frappe.views.ReportView) {
	const build_column = frappe.views.ReportView.prototype.build_column;
	frappe.views.ReportView.prototype.build_column = function (c) {
		const column = build_column.call(this, c);
		const [fieldname, doctype] = c || [];
		const fields = afas_connector.TEXT_FIELDS[doctype || this.doctype] || [];
		// "docstatus" is the Status column the report view derives, from the document's title (a key) here
		if (column && (fields.includes(fieldname) || (fields.length && fieldname === "docstatus"))) {
			column.format = (value) => afas_connector.as_text(value);
		}
		return column;
	};
}
// Meta that reached the desk before this script (Frappe 16 may draw a view first) gets them now: a
// view's columns keep the DocType's own field objects, so their next draw is text too.
for (const [doctype, fieldnames] of Object.entries(afas_connector.TEXT_FIELDS)) {
	afas_connector.show_as_text(doctype, fieldnames);
}
if (frappe.meta && frappe.meta.add_field) {
	const add_field = frappe.meta.add_field;
	frappe.meta.add_field = function (df) {
		if (df && (afas_connector.TEXT_FIELDS[df.parent] || []).includes(df.fieldname)) {
			df.formatter = afas_connector.as_text;
		}
		return add_field.apply(this, arguments);
	};
}

// "Push to AFAS" on the form of every document with an enabled outbound mapping (AFAS Managers
// only): queues a push of the document as it is now, whatever changed. Which DocTypes push comes
// from the boot info (afas_connector.binding.doc_events.boot_session); reload the desk after changing mappings.
$(document).on("form-refresh", (event, frm) => {
	const doctypes = (frappe.boot && frappe.boot.afas_outbound_doctypes) || [];
	if (!frm || !frm.doc || frm.is_new() || !doctypes.includes(frm.doctype)) return;
	frm.add_custom_button(
		__("Push to AFAS"),
		() =>
			frappe
				.call({
					method: "afas_connector.api.push_document",
					args: { doctype: frm.doctype, name: frm.doc.name },
					freeze: true,
				})
				.then((r) =>
					// A push no worker will send is said where the user is, not in a passing toast.
					r.message.waiting
						? frappe.msgprint({
								title: __("Push to AFAS queued, but not sent yet"),
								message: frappe.utils.escape_html(r.message.waiting),
								indicator: "orange",
						  })
						: frappe.show_alert({ message: frappe.utils.escape_html(r.message.message), indicator: "green" })
				),
		__("AFAS")
	);
	frm.add_custom_button(
		__("Sync Log"),
		() =>
			frappe.set_route("List", "AFAS Sync Log", {
				reference_doctype: frm.doctype,
				reference_name: frm.doc.name,
			}),
		__("AFAS")
	);
});
