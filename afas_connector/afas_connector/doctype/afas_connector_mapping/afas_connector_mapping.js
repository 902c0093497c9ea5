// AFAS Connector Mapping: pick a connector AFAS offers, fetch its fields (also before the first
// save), preview what a run or push would do, and run it with a progress dialog that follows the
// run's own Sync Log to its end.
const AFAS_MAPPING_API = "afas_connector.api";

frappe.ui.form.on("AFAS Connector Mapping", {
	setup(frm) {
		frm.afas_connectors = null; // {get_connectors, update_connectors} from AFAS metainfo, once per form
		frm.set_query("ledger_mapping", () => ({
			filters: { mapping_type: "Ledger (FiEntries)", erpnext_doctype: frm.doc.erpnext_doctype },
		}));
	},
	refresh(frm) {
		afas_mapping.intro(frm);
		afas_mapping.connector_picker(frm);
		frm.add_custom_button(__("Fetch Fields from AFAS"), () => afas_mapping.fetch_fields(frm), __("AFAS"));
		const open_items = frm.doc.mapping_type === "Open Items";
		if (!frm.is_new() && !open_items) {
			frm.add_custom_button(__("Preview"), () => afas_mapping.preview(frm), __("AFAS"));
		}
		if (!frm.is_new() && open_items) {
			frm.add_custom_button(__("Sync Now"), () => afas_mapping.sync_now(frm, 0), __("AFAS"));
		}
		if (!frm.is_new() && frm.doc.direction === "Inbound" && !open_items) {
			frm.add_custom_button(__("Sync Now"), () => afas_mapping.sync_now(frm, 0), __("AFAS"));
			frm.add_custom_button(
				__("Full Sync"),
				() => frappe.confirm(__("Read every AFAS row again, ignoring the watermark?"), () => afas_mapping.sync_now(frm, 1)),
				__("AFAS")
			);
			frm.add_custom_button(
				__("Dismiss Failed Rows"),
				() =>
					frappe.confirm(__("Stop reading the rows that failed again?"), () =>
						frappe
							.call({ method: `${AFAS_MAPPING_API}.dismiss_failed_rows`, args: { mapping: frm.doc.name } })
							.then((r) =>
								frappe.show_alert({
									message: __("{0} rows dismissed", [r.message.dismissed.length]),
									indicator: "blue",
								})
							)
					),
				__("AFAS")
			);
		}
		if (frm.doc.mapping_type === "Ledger (FiEntries)") {
			frm.add_custom_button(__("AFAS Reference Data"), () => afas_mapping.reference_data(), __("AFAS"));
		}
		if (!frm.is_new()) {
			frm.add_custom_button(
				__("Sync Logs"),
				() => frappe.set_route("List", "AFAS Sync Log", { mapping: frm.doc.name }),
				__("View")
			);
		}
	},
	direction(frm) {
		afas_mapping.connector_picker(frm);
	},
	mapping_type(frm) {
		afas_mapping.fill_for_type(frm);
	},
	erpnext_doctype(frm) {
		afas_mapping.fill_for_type(frm);
	},
});

frappe.ui.form.on("AFAS Ledger Map", {
	kind(frm, cdt, cdn) {
		// the ERPNext side each kind maps from; a journal row names a voucher type or a bank account
		const doctypes = { Account: "Account", "VAT Code": "Account", Journal: "DocType", Administration: "Company", "Cost Centre": "Cost Center" };
		frappe.model.set_value(cdt, cdn, "erpnext_doctype", doctypes[locals[cdt][cdn].kind]);
	},
});

const afas_mapping = {
	fill_for_type(frm) {
		// A Ledger or Open Items mapping has one connector and key: fill them, as the server does.
		if (frm.doc.mapping_type === "Ledger (FiEntries)") {
			frm.set_value({ direction: "Outbound", afas_connector: "FiEntries", afas_key_field: "EnNo" });
		} else if (frm.doc.mapping_type === "Open Items") {
			const connector = { "Sales Invoice": "Profit_Debtor_Invoices", "Purchase Invoice": "Profit_Creditor_Invoices" }[
				frm.doc.erpnext_doctype
			];
			frm.set_value({ direction: "Inbound", afas_key_field: "InvoiceNr" });
			if (connector) frm.set_value("afas_connector", connector);
		}
	},
	reference_data() {
		// What AFAS has for each kind of Ledger Maps row, to pick the AFAS side from.
		const kinds = ["Account", "VAT Code", "Journal", "Administration"]; // cost centre codes: no standard GetConnector
		Promise.all(
			kinds.map((kind) =>
				frappe
					.call({ method: `${AFAS_MAPPING_API}.reference_values`, type: "GET", args: { kind }, silent: true, error_handlers: { "*": () => {} } })
					.then((r) => [kind, r.message || []])
					.catch(() => [kind, null])
			)
		).then((lists) => {
			const message = lists
				.map(([kind, values]) =>
					`<h5>${__(kind)}</h5>` +
					(values === null
						? `<p class="text-muted">${__("Not offered by this App Connector")}</p>`
						: afas_mapping.table([__("AFAS"), __("Description")], values.map((v) => [v.value, v.description])))
				)
				.join("");
			frappe.msgprint({ title: __("AFAS Reference Data"), message, wide: true });
		});
	},

	intro(frm) {
		// What a user must know before enabling: a template's mapping is switched off until checked, and
		// a GetConnector without a modified-date column is read whole on every run.
		const lines = [];
		if (frm.doc.template && !frm.doc.enabled && !frm.is_new()) {
			lines.push(
				__("Made from a template and switched off: check it with AFAS → Preview, then tick Enabled and save.")
			);
		} else if (!frm.doc.enabled) {
			lines.push(__("Switched off: nothing runs until you check it with AFAS → Preview, then tick Enabled and save."));
		}
		// (an Open Items mapping reads only the invoices its ledger mapping booked: no watermark)
		if (frm.doc.direction === "Inbound" && frm.doc.mapping_type !== "Open Items" && frm.doc.afas_connector && !frm.doc.modified_field) {
			lines.push(
				__(
					"{0} has no modified-date field: each run reads every row. Unchanged rows are skipped by their content hash; Deletions: Full Reconcile flags records AFAS no longer has.",
					[frappe.utils.escape_html(frm.doc.afas_connector)]
				)
			);
		}
		frm.set_intro(lines.length ? lines.join("<br>") : "", lines.length ? "yellow" : undefined);
	},

	connector_picker(frm) {
		// The connectors AFAS offers this App Connector, as suggestions; any id may still be typed
		// (AFAS unreachable, a connector added later).
		const field = frm.fields_dict.afas_connector;
		if (!field) return;
		field.df.ignore_validation = 1;
		const apply = () => {
			const list =
				(frm.doc.direction === "Outbound" ? frm.afas_connectors.update_connectors : frm.afas_connectors.get_connectors) || [];
			// AFAS's ids and descriptions are text: the suggestions put label and description into the page as HTML
			const esc = (v) => frappe.utils.escape_html(v === null || v === undefined ? "" : String(v));
			field.set_data(list.map((c) => ({ value: c.id, label: esc(c.id), description: esc(c.description) })));
		};
		if (frm.afas_connectors) return apply();
		frappe
			.call({ method: `${AFAS_MAPPING_API}.get_connectors`, type: "GET", error_handlers: { "*": () => {} }, silent: true })
			.then((r) => {
				frm.afas_connectors = r.message || {};
				apply();
			})
			.catch(() => {
				frm.afas_connectors = {};
			});
	},

	fetch_fields(frm) {
		const { afas_connector, direction, erpnext_doctype } = frm.doc;
		if (!afas_connector || !erpnext_doctype) {
			frappe.msgprint(__("Choose the AFAS Connector and the ERPNext DocType first."));
			return;
		}
		frappe
			.call({
				method: `${AFAS_MAPPING_API}.suggest_fields`,
				type: "GET",
				args: { connector: afas_connector, direction, doctype: erpnext_doctype },
				freeze: true,
				freeze_message: __("Reading AFAS metainfo…"),
			})
			.then((r) => {
				const found = r.message || {};
				const existing = new Set((frm.doc.field_mappings || []).map((row) => row.afas_field));
				let added = 0;
				for (const row of found.rows || []) {
					if (!row.erpnext_field || existing.has(row.afas_field)) continue;
					frm.add_child("field_mappings", row);
					added += 1;
				}
				if (!frm.doc.afas_key_field && found.key_field) frm.set_value("afas_key_field", found.key_field);
				if (direction === "Inbound" && !frm.doc.modified_field && found.modified_field) {
					frm.set_value("modified_field", found.modified_field);
				}
				frm.refresh_field("field_mappings");
				const unmatched = found.unmatched || [];
				let message = `<p>${__("{0} field rows added; check them, then save.", [added])}</p>`;
				if (direction === "Inbound" && !frm.doc.modified_field) {
					message += `<p class="text-warning">${__(
						"This GetConnector has no modified-date field, so every run reads every row."
					)}</p>`;
				}
				if ((found.mandatory || []).length) {
					message +=
						`<p class="text-warning">${__(
							"ERPNext needs these fields on a new {0}, and no AFAS field was found for them: add a row for each (another AFAS field, a constant or a formula)",
							[__(erpnext_doctype)]
						)}: ` +
						found.mandatory.map((f) => `<b>${frappe.utils.escape_html(__(f.label))}</b>`).join(", ") +
						"</p>";
				}
				if (unmatched.length) {
					message +=
						`<details class="afas-unmatched"><summary>${__("Fields without a suggestion")} (${unmatched.length})</summary>` +
						afas_mapping.table(
							[__("AFAS Field"), __("Label"), __("Note")],
							unmatched.map((row) => [row.afas_field, row.afas_label || "", row.note || ""])
						) +
						"</details>";
				}
				frappe.msgprint({ title: __("Fields from AFAS"), message, wide: true });
			});
	},

	preview(frm) {
		frappe
			.call({
				method: `${AFAS_MAPPING_API}.preview_mapping`,
				args: { mapping: frm.doc.name, limit: 10 },
				freeze: true,
				freeze_message: __("Asking AFAS…"),
			})
			.then((r) => {
				const result = r.message || {};
				let message;
				if (result.direction === "Outbound") {
					const errors = (result.errors || []).map((e) => `${e.field}: ${e.message}`);
					message =
						`<p>${__("{0} {1} would be sent as", [__(frm.doc.erpnext_doctype), frappe.utils.escape_html(result.document)])} <b>${
							frappe.utils.escape_html(result.http_method || __("nothing"))
						}</b>${result.note ? ": " + frappe.utils.escape_html(result.note) : ""}</p>` +
						(errors.length ? `<p class="text-danger">${errors.map(frappe.utils.escape_html).join("<br>")}</p>` : "") +
						`<pre>${frappe.utils.escape_html(JSON.stringify(result.body, null, 2))}</pre>`;
				} else {
					const rows = result.rows || [];
					const actions = {
						insert: __("New"),
						update: __("Update"),
						adopt: __("Adopt existing"),
						unchanged: __("Unchanged"),
						fail: __("Fails"),
					};
					message =
						`<p>${
							result.since
								? __("The next run reads rows modified since {0} (AFAS time).", [frappe.utils.escape_html(result.since)])
								: __("The next run reads every row.")
						} ${__("Each row was written and rolled back: nothing was saved.")}</p>` +
						(rows.length
							? afas_mapping.table(
									[__("AFAS Key"), __("Result"), __("Document"), __("Values or error")],
									rows.map((row) => [
										row.afas_key,
										actions[row.action] || row.action,
										row.action === "insert" ? __("new") : row.document || "",
										row.errors && row.errors.length
											? row.errors.map((e) => (e.field ? `${e.field}: ` : "") + e.message).join("; ")
											: Object.entries(row.values || {})
													.map(([k, v]) => `${k}: ${v === null ? "" : v}`)
													.join(", "),
									]),
									rows.map((row) => (row.action === "fail" ? "text-danger" : ""))
							  )
							: `<p>${__("No rows to read.")}</p>`);
				}
				frappe.msgprint({ title: __("Preview (nothing was written)"), message, wide: true });
			});
	},

	sync_now(frm, full) {
		frappe.call({ method: `${AFAS_MAPPING_API}.sync_now`, args: { mapping: frm.doc.name, full } }).then((r) => {
			const started = r.message || {};
			// What stops the run from starting (no worker) is shown apart, and kept up to date.
			const waiting = started.waiting || "";
			const message = waiting ? (started.message || "").replace(". " + waiting, "") : started.message;
			afas_mapping.follow(frm, started.log, message, waiting);
		});
	},

	follow(frm, log, message, waiting) {
		// A dialog that follows one run to its end: realtime progress when the socket is up, and
		// polling of the run's Sync Log either way. ``waiting``: why the run does not start (no worker
		// takes jobs from its queue) and what to do, as sync_status says while the run is queued.
		const dialog = new frappe.ui.Dialog({
			title: __("AFAS sync: {0}", [frm.doc.name]),
			fields: [{ fieldtype: "HTML", fieldname: "body" }],
			primary_action_label: __("Close"),
			primary_action: () => dialog.hide(),
		});
		// The counts in the viewer's language (the run's own text is in the language of its job).
		const counts = (p) =>
			p.read == null
				? p.description || ""
				: __("{0} read, {1} inserted, {2} updated, {3} unchanged, {4} failed", [
						p.read,
						p.inserted,
						p.updated,
						p.unchanged,
						p.failed,
				  ]);
		const render = (status, progress) => {
			const p = progress || {};
			const finished = ["Success", "Partial", "Failed"].includes(status);
			// The run's share done, read off the AFAS key range (numeric keys), else a rough curve.
			const guess = p.done ? Math.min(95, 5 + Math.log10(p.done + 1) * 20) : 5;
			const percent = finished ? 100 : p.percent != null ? Math.max(2, p.percent) : guess;
			const indicator = { Success: "green", Partial: "orange", Failed: "red" }[status] || "blue";
			dialog.fields_dict.body.$wrapper.html(
				`<p>${frappe.utils.escape_html(message || "")}</p>` +
					(waiting && !finished
						? `<div class="alert alert-warning afas-waiting">${frappe.utils.escape_html(waiting)}</div>`
						: "") +
					`<div class="progress" style="height: 10px"><div class="progress-bar afas-progress" role="progressbar" style="width: ${percent}%"></div></div>` +
					`<p class="afas-progress-text" style="margin-top: 10px">${frappe.utils.escape_html(counts(p))}` +
					(p.rows_per_second && !finished ? ` · ${__("{0} rows/s", [p.rows_per_second])}` : "") +
					(p.seconds_left != null && !finished
						? ` · ${__("about {0} left", [afas_duration(p.seconds_left)])}`
						: "") +
					`</p><p><span class="indicator-pill ${indicator} afas-status">${__(status || "Queued")}</span> ` +
					`<a href="/app/afas-sync-log/${encodeURIComponent(log)}">${__("Open the Sync Log")}</a></p>`
			);
			return finished;
		};
		let open = true;
		dialog.onhide = () => (open = false);
		dialog.show();
		render("Queued");
		const poll = () =>
			frappe
				.call({ method: `${AFAS_MAPPING_API}.sync_status`, type: "GET", args: { log } })
				.then((r) => {
					const s = r.message || {};
					const status = (s.log || {}).status;
					waiting = s.waiting || "";
					const progress = s.progress || {
						description: __("{0} read, {1} inserted, {2} updated, {3} unchanged, {4} failed", [
							s.log.rows_read || 0,
							s.log.inserted || 0,
							s.log.updated || 0,
							s.log.unchanged || 0,
							s.log.failed || 0,
						]),
					};
					if (render(status, progress)) {
						frm.reload_doc();
					} else if (open) {
						setTimeout(poll, 1000);
					}
				});
		poll();
	},

	table(headers, rows, row_classes) {
		const esc = (v) => frappe.utils.escape_html(v === null || v === undefined ? "" : String(v));
		return (
			`<div style="overflow-x: auto"><table class="table table-bordered table-sm afas-table"><thead><tr>` +
			headers.map((h) => `<th>${esc(h)}</th>`).join("") +
			`</tr></thead><tbody>` +
			rows
				.map((cells, i) => `<tr class="${(row_classes && row_classes[i]) || ""}">${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
				.join("") +
			`</tbody></table></div>`
		);
	},
};

frappe.realtime.on("afas_sync_progress", (data) => {
	if (!cur_frm || cur_frm.doctype !== "AFAS Connector Mapping" || cur_frm.doc.name !== data.mapping) return;
	if (data.finished) cur_frm.reload_doc();
});

// "1 h 05 min", "3 min 20 s", "40 s": a run's time left.
function afas_duration(seconds) {
	const s = Math.max(0, Math.round(seconds));
	if (s >= 3600) {
		return __("{0} h {1} min", [Math.floor(s / 3600), String(Math.floor((s % 3600) / 60)).padStart(2, "0")]);
	}
	if (s >= 60) {
		return __("{0} min {1} s", [Math.floor(s / 60), String(s % 60).padStart(2, "0")]);
	}
	return __("{0} s", [s]);
}
