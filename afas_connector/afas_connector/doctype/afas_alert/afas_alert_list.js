frappe.listview_settings["AFAS Alert"] = {
	add_fields: ["status", "severity"],
	get_indicator(doc) {
		if (doc.status === "Resolved") {
			return [__("Resolved"), "green", "status,=,Resolved"];
		}
		return [__("Open"), doc.severity === "Failing" ? "red" : "orange", "status,=,Open"];
	},
};
