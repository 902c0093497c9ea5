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
				.then((r) => frappe.show_alert({ message: r.message.message, indicator: "green" })),
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
