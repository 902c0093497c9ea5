// AFAS's keys are text wherever Frappe shows this DocType. Set here, with the DocType's meta, so the
// formatters are there before the list or report view draws: on Frappe 16 the app's own script
// (public/js/afas_connector.js, which does the same) may load after the first draw.
(() => {
	const as_text = (value) =>
		value === null || value === undefined ? "" : String(value).replace(/</g, "&lt;").replace(/>/g, "&gt;");
	const fields = (frappe.meta.docfield_map || {})["AFAS Record Link"] || {};
	for (const fieldname of ["afas_key", "reversal_key", "afas_modified"]) {
		if (fields[fieldname]) fields[fieldname].formatter = as_text;
	}
})();
