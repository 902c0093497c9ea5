frappe.ui.form.on("AFAS Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Test Connection"), () => {
			frappe
				.call({
					method: "afas_connector.api.test_connection",
					freeze: true,
					freeze_message: __("Asking AFAS for metainfo and the Profit version…"),
				})
				.then((r) => {
					const result = r.message || {};
					const esc = frappe.utils.escape_html;
					const list = (title, ids) =>
						ids && ids.length ? `<p><b>${esc(title)}</b>: ${ids.map(esc).join(", ")}</p>` : "";
					frappe.msgprint({
						title: result.ok ? __("Connected") : __("Connection failed"),
						indicator: result.ok ? "green" : "red",
						message:
							`<p>${esc(result.message || "")}</p>` +
							list(__("GetConnectors"), result.get_connector_ids) +
							list(__("UpdateConnectors"), result.update_connector_ids),
						wide: true,
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
