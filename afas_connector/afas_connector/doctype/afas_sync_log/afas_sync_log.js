frappe.ui.form.on("AFAS Sync Log", {
	refresh(frm) {
		if (["Failed", "Partial"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => {
				frappe.call({ method: "afas_connector.api.retry_log", args: { name: frm.doc.name } }).then(() => frm.reload_doc());
			});
		}
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
	},
});
