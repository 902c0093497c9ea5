// AFAS's keys are text wherever Frappe shows this DocType. Set here, with the DocType's meta, so the
// formatters are there before the list or report view draws: on Frappe 16 the app's own script
// (public/js/afas_connector.js, which does the same) may load after the first draw.
(() => {
	const as_text = (value) =>
		value === null || value === undefined ? "" : String(value).replace(/</g, "&lt;").replace(/>/g, "&gt;");
	const fields = (frappe.meta.docfield_map || {})["AFAS Sync Log"] || {};
	for (const fieldname of ["title", "afas_key"]) {
		if (fields[fieldname]) fields[fieldname].formatter = as_text;
	}
})();

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
				const waiting = result.waiting || "";
				const message = waiting ? (result.message || "").replace(". " + waiting, "") : result.message;
				frappe.show_alert({ message: frappe.utils.escape_html(message), indicator: result.skipped && result.skipped.length ? "orange" : "green" });
				if (waiting) {
					// Queued where no worker (or scheduler) runs it: said in a dialog, not only a passing toast.
					frappe.msgprint({ title: __("Queued, but nothing runs it yet"), message: frappe.utils.escape_html(waiting), indicator: "orange" });
				}
				listview.refresh();
			});
		});
	},
};
