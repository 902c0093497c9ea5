// AFAS's keys are text wherever Frappe shows this DocType (public/js/afas_connector.js).
afas_connector.show_as_text("AFAS Sync Log", ["title", "afas_key"]);

frappe.listview_settings["AFAS Sync Log"] = {
	add_fields: ["status", "direction"],
	get_indicator(doc) {
		const colors = {
			Queued: "orange",
			Running: "blue",
			Retrying: "yellow",
			Success: "green",
			Partial: "orange",
			Failed: "red",
			"Outcome Unknown": "purple",
			Deferred: "gray",
		};
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
	onload(listview) {
		listview.page.add_action_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			if (!names.length) return;
			frappe.call({ method: "afas_connector.api.retry_logs", args: { names } }).then((r) => {
				const result = r.message || {};
				frappe.show_alert({ message: frappe.utils.escape_html(result.message), indicator: result.skipped && result.skipped.length ? "orange" : "green" });
				listview.refresh();
			});
		});
	},
};
