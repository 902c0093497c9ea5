frappe.ui.form.on("AFAS Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Test Connection"), () => {
			frappe.call({
				method: "afas_connector.api.test_connection",
				freeze: true,
				freeze_message: __("Asking AFAS for metainfo and the Profit version…"),
			}).then((r) => {
				const result = r.message || {};
				frappe.msgprint({
					title: result.ok ? __("Connected") : __("Connection failed"),
					indicator: result.ok ? "green" : "red",
					message: frappe.utils.escape_html(result.message || ""),
				});
				frm.reload_doc();
			});
		});
		frm.add_custom_button(__("Mappings"), () => frappe.set_route("List", "AFAS Connector Mapping"), __("View"));
		frm.add_custom_button(__("Sync Logs"), () => frappe.set_route("List", "AFAS Sync Log"), __("View"));
		if (frm.doc.last_connection_test) {
			frm.dashboard.set_headline_alert(
				`<div class="${frm.doc.connection_ok ? "text-success" : "text-danger"}">${frappe.utils.escape_html(
					frm.doc.connection_message || ""
				)}</div>`
			);
		}
	},
});
