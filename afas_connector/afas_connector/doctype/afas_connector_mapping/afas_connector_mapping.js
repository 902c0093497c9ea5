frappe.ui.form.on("AFAS Connector Mapping", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(
			__("Fetch Fields from AFAS"),
			() => {
				frappe.call({
					method: "afas_connector.api.fetch_fields",
					args: { mapping: frm.doc.name },
					freeze: true,
					freeze_message: __("Reading AFAS metainfo…"),
				}).then((r) => {
					const unmatched = (r.message || []).filter((row) => row.unmatched);
					frm.reload_doc();
					if (unmatched.length) {
						frappe.msgprint({
							title: __("Fields without a suggestion"),
							message: unmatched.map((row) => frappe.utils.escape_html(`${row.afas_field} (${row.afas_label || ""})`)).join("<br>"),
						});
					}
				});
			},
			__("AFAS")
		);
		frm.add_custom_button(
			__("Preview"),
			() => {
				frappe.call({
					method: "afas_connector.api.preview_mapping",
					args: { mapping: frm.doc.name, limit: 5 },
					freeze: true,
				}).then((r) => {
					frappe.msgprint({
						title: __("Preview (nothing was written)"),
						wide: true,
						message: `<pre>${frappe.utils.escape_html(JSON.stringify(r.message, null, 2))}</pre>`,
					});
				});
			},
			__("AFAS")
		);
		if (frm.doc.direction === "Inbound") {
			frm.add_custom_button(
				__("Full Sync"),
				() =>
					frappe.confirm(__("Read every AFAS row again, ignoring the watermark?"), () =>
						frappe
							.call({ method: "afas_connector.api.sync_now", args: { mapping: frm.doc.name, full: 1 } })
							.then((r) => frappe.show_alert({ message: r.message.message, indicator: "blue" }))
					),
				__("AFAS")
			);
			frm.add_custom_button(
				__("Dismiss Failed Rows"),
				() =>
					frappe.confirm(__("Stop reading the rows that failed again?"), () =>
						frappe
							.call({ method: "afas_connector.api.dismiss_failed_rows", args: { mapping: frm.doc.name } })
							.then((r) =>
								frappe.show_alert({ message: __("{0} rows dismissed", [r.message.dismissed.length]), indicator: "blue" })
							)
					),
				__("AFAS")
			);
			frm.add_custom_button(
				__("Sync Now"),
				() => {
					frappe.call({
						method: "afas_connector.api.sync_now",
						args: { mapping: frm.doc.name },
					}).then((r) => frappe.show_alert({ message: (r.message && r.message.message) || __("Sync queued"), indicator: "blue" }));
				},
				__("AFAS")
			);
		}
		frm.add_custom_button(__("Sync Logs"), () => frappe.set_route("List", "AFAS Sync Log", { mapping: frm.doc.name }), __("View"));
	},
});

frappe.realtime.on("afas_sync_progress", (data) => {
	if (!cur_frm || cur_frm.doctype !== "AFAS Connector Mapping" || cur_frm.doc.name !== data.mapping) return;
	frappe.show_progress(__("AFAS sync: {0}", [data.mapping]), data.done, data.total || data.done, data.description);
	if (data.finished) {
		frappe.hide_progress();
		cur_frm.reload_doc();
	}
});
