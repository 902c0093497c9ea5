frappe.ui.form.on("AFAS Sync Log", {
	refresh(frm) {
		// Per-record errors as a table (the raw JSON stays in record_errors for the API).
		const errors = JSON.parse(frm.doc.record_errors || "[]");
		const esc = (v) => frappe.utils.escape_html(v === null || v === undefined ? "" : String(v));
		frm.fields_dict.record_errors_html.$wrapper.html(
			errors.length
				? `<div class="form-group"><label class="control-label">${__("Record Errors")} (${errors.length})</label>` +
						`<table class="table table-bordered table-sm"><thead><tr><th>${__("AFAS Key")}</th><th>${__(
							"Field"
						)}</th><th>${__("Error")}</th></tr></thead><tbody>` +
						errors.map((e) => `<tr><td>${esc(e.key)}</td><td>${esc(e.field)}</td><td>${esc(e.message)}</td></tr>`).join("") +
						`</tbody></table></div>`
				: ""
		);
		if (["Failed", "Partial"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => {
				frappe
					.call({ method: "afas_connector.api.retry_log", args: { name: frm.doc.name } })
					.then((r) => {
						const waiting = r.message.waiting || "";
						frappe.show_alert({
							message: frappe.utils.escape_html(
								waiting ? r.message.message.replace(". " + waiting, "") : r.message.message
							),
							indicator: r.message.queued ? "green" : "orange",
						});
						if (waiting) {
							// Queued where no worker (or scheduler) runs it: a dialog, not only a passing toast.
							frappe.msgprint({
								title: __("Queued, but nothing runs it yet"),
								message: frappe.utils.escape_html(waiting),
								indicator: "orange",
							});
						}
						frm.reload_doc();
					});
			});
		}
		// A Queued or Retrying log that no worker (or, for a retry, no scheduler) will pick up says so.
		const waiting = (frm.doc.__onload || {}).waiting;
		if (waiting && ["Queued", "Retrying"].includes(frm.doc.status)) {
			// in a tag: the desk shows a headline without one as text, which would show the escapes
			frm.dashboard.set_headline(`<span class="afas-waiting">${frappe.utils.escape_html(waiting)}</span>`, "orange");
		}
		if (frm.doc.status === "Outcome Unknown") {
			// The POST's answer was lost: AFAS may hold the record. Never resent without a decision.
			frm.dashboard.set_headline(
				__("AFAS may already hold this record. Look it up in AFAS, then link it or send it again."),
				"orange"
			);
			frm.add_custom_button(
				__("Link to AFAS Record"),
				() =>
					frappe.prompt(
						{ fieldname: "afas_key", fieldtype: "Data", label: __("AFAS Key"), reqd: 1 },
						(values) =>
							frappe
								.call({
									method: "afas_connector.api.resolve_log",
									args: { name: frm.doc.name, afas_key: values.afas_key },
								})
								.then(() => frm.reload_doc()),
						__("The key AFAS gave this record")
					),
				__("Resolve")
			);
			frm.add_custom_button(
				__("Send Again"),
				() =>
					frappe.confirm(__("You found no such record in AFAS, so send it again?"), () =>
						frappe
							.call({ method: "afas_connector.api.resolve_log", args: { name: frm.doc.name, resend: 1 } })
							.then(() => frm.reload_doc())
					),
				__("Resolve")
			);
		}
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
	},
});
