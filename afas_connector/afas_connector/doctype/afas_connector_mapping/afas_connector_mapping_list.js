// AFAS Connector Mapping list: New from Template (AFAS's standard connectors), and moving a
// configuration to another site: Export Mappings (the selected ones, or all) to one JSON file, Import
// Mappings with a preview of what changes, overwriting only the mappings the user ticks.
frappe.listview_settings["AFAS Connector Mapping"] = {
	add_fields: ["direction", "enabled", "template"],
	onload(listview) {
		listview.page.add_inner_button(__("New from Template"), () => afas_mapping_list.new_from_template(listview));
		listview.page.add_inner_button(__("Export Mappings"), () => afas_mapping_list.export(listview), __("AFAS"));
		listview.page.add_inner_button(__("Import Mappings"), () => afas_mapping_list.import(listview), __("AFAS"));
	},
};

const afas_mapping_list = {
	api: "afas_connector.api",

	esc(value) {
		return frappe.utils.escape_html(value === null || value === undefined ? "" : String(value));
	},

	new_from_template(listview) {
		frappe.call({ method: `${this.api}.get_mapping_templates`, type: "GET" }).then((r) => {
			const templates = r.message || [];
			const by_id = Object.fromEntries(templates.map((t) => [t.id, t]));
			const dialog = new frappe.ui.Dialog({
				title: __("New from Template"),
				fields: [
					{
						fieldtype: "Select",
						fieldname: "template",
						label: __("Template"),
						reqd: 1,
						// a template this site cannot use (its app is not installed) is listed, saying why
						options: templates.map((t) => ({
							value: t.id,
							label: t.unavailable ? `${t.title} (${__("unavailable")})` : t.title,
						})),
						change: () => show(dialog.get_value("template")),
					},
					{ fieldtype: "HTML", fieldname: "about" },
				],
				primary_action_label: __("Next"),
				primary_action: (values) => {
					const chosen = by_id[values.template];
					if (chosen.unavailable) {
						frappe.msgprint(this.esc(chosen.unavailable));
						return;
					}
					if (chosen.waiting_for.length) {
						frappe.msgprint(this.esc(__("Make these mappings first: {0}", [chosen.waiting_for.join(", ")])));
						return;
					}
					dialog.hide();
					this.ask(listview, chosen);
				},
			});
			const show = (id) => {
				const t = by_id[id];
				if (!t) return;
				let html =
					`<p class="afas-template-about">${this.esc(t.description)}</p>` +
					`<p><b>${this.esc(t.connector)}</b> ${t.direction === "Inbound" ? "→" : "←"} <b>${this.esc(__(t.doctype))}</b> ` +
					`(${this.esc(__(t.direction))})</p>`;
				if (t.reads_everything) {
					html += `<p class="text-warning afas-reads-everything">${this.esc(
						__("This AFAS connector has no modified-date column: each run reads every row (Full Reconcile with content hashes).")
					)}</p>`;
				}
				if (t.unavailable) html += `<p class="text-danger afas-template-unavailable">${this.esc(t.unavailable)}</p>`;
				if (t.made) html += `<p class="text-muted">${this.esc(__("Already made: {0}", [t.made]))}</p>`;
				if (t.waiting_for.length) {
					html += `<p class="text-danger">${this.esc(
						__("Make these mappings first: {0}", [t.waiting_for.join(", ")])
					)}</p>`;
				}
				dialog.fields_dict.about.$wrapper.html(html);
			};
			dialog.show();
			const first = templates.find((t) => !t.unavailable) || templates[0];
			if (first) {
				dialog.set_value("template", first.id);
				show(first.id);
			}
		});
	},

	ask(listview, template) {
		// The template's questions, with the answers the server proposes, and the mapping's name.
		const fields = [
			{ fieldtype: "Data", fieldname: "mapping_name", label: __("Mapping Name"), reqd: 1, default: template.title },
		];
		for (const p of template.parameters) {
			fields.push({
				fieldtype: p.fieldtype === "Int" ? "Int" : p.fieldtype === "Link" ? "Link" : "Data",
				options: p.options || undefined,
				fieldname: p.name,
				label: p.label,
				description: p.description || "",
				default: template.answers[p.name] || p.default || "",
				reqd: 1,
			});
		}
		const dialog = new frappe.ui.Dialog({
			title: template.title,
			fields,
			primary_action_label: __("Create"),
			primary_action: (values) => {
				const answers = {};
				for (const p of template.parameters) answers[p.name] = values[p.name];
				frappe
					.call({
						method: `${this.api}.new_mapping_from_template`,
						args: { template: template.id, mapping_name: values.mapping_name, answers },
						freeze: true,
						freeze_message: __("Checking against AFAS…"),
					})
					.then((r) => {
						const made = r.message || {};
						dialog.hide();
						frappe.show_alert({
							message: this.esc(__("{0} made, switched off until you enable it", [made.mapping]) + (made.message ? `. ${made.message}` : "")),
							indicator: made.checked ? "green" : "orange",
						});
						frappe.set_route("Form", "AFAS Connector Mapping", made.mapping);
					});
			},
		});
		dialog.show();
	},

	export(listview) {
		const names = listview.get_checked_items(true);
		frappe
			.call({ method: `${this.api}.export_mappings`, type: "GET", args: names.length ? { names: JSON.stringify(names) } : {} })
			.then((r) => {
				const data = r.message || {};
				const blob = new Blob([JSON.stringify(data, null, 1)], { type: "application/json" });
				const link = document.createElement("a");
				link.href = URL.createObjectURL(blob);
				link.download = `afas-mappings-${frappe.datetime.now_date()}.json`;
				document.body.appendChild(link);
				link.click();
				link.remove();
				frappe.show_alert({ message: __("{0} mappings exported", [(data.mappings || []).length]), indicator: "green" });
			});
	},

	import(listview) {
		const dialog = new frappe.ui.Dialog({
			title: __("Import Mappings"),
			fields: [
				{ fieldtype: "HTML", fieldname: "pick" },
				{ fieldtype: "HTML", fieldname: "preview" },
			],
			primary_action_label: __("Import"),
			primary_action: () => {
				if (!dialog.afas_data) {
					frappe.msgprint(__("Choose an exported file first."));
					return;
				}
				const overwrite = dialog.fields_dict.preview.$wrapper
					.find("input.afas-overwrite:checked")
					.map((i, el) => $(el).attr("data-mapping"))
					.get();
				frappe
					.call({
						method: `${this.api}.import_mappings`,
						args: { data: dialog.afas_data, overwrite: JSON.stringify(overwrite) },
						freeze: true,
					})
					.then((r) => {
						const result = r.message || {};
						dialog.hide();
						const lines = [
							[__("Created (switched off)"), result.created],
							[__("Overwritten"), result.updated],
							[__("Unchanged"), result.unchanged],
							[__("Not overwritten"), (result.skipped || []).map((s) => s.mapping)],
							[__("Custom fields added"), result.custom_fields],
						].filter(([, names]) => names && names.length);
						frappe.msgprint({
							title: __("Mappings imported"),
							message: lines
								.map(([label, names]) => `<p class="afas-import-result"><b>${this.esc(label)}</b>: ${names.map((n) => this.esc(n)).join(", ")}</p>`)
								.join(""),
						});
						listview.refresh();
					});
			},
		});
		dialog.fields_dict.pick.$wrapper.html(
			`<p>${this.esc(__("An export of AFAS Connector Mappings (JSON) from another site:"))}</p>` +
				`<input type="file" accept=".json,application/json" class="afas-import-file">`
		);
		dialog.fields_dict.pick.$wrapper.find(".afas-import-file").on("change", (event) => {
			const file = event.target.files[0];
			if (!file) return;
			file.text().then((text) => {
				dialog.afas_data = text;
				frappe.call({ method: `${this.api}.preview_mapping_import`, args: { data: text } }).then((r) => {
					dialog.fields_dict.preview.$wrapper.html(this.preview_html(r.message || {}));
				});
			});
		});
		dialog.show();
	},

	preview_html(preview) {
		const actions = { new: __("New (switched off)"), update: __("Differs"), same: __("Same") };
		const rows = (preview.changes || []).map((c) => {
			const details = (c.differences || [])
				.map((d) => {
					const show = (v) => (Array.isArray(v) ? v.join("; ") : v === null || v === undefined ? "" : String(v));
					return `${this.esc(d.label || d.field)}: ${this.esc(show(d.current))} → ${this.esc(show(d.incoming))}`;
				})
				.join("<br>");
			const tick =
				c.action === "update"
					? `<label><input type="checkbox" class="afas-overwrite" data-mapping="${this.esc(c.mapping)}"> ${this.esc(__("Overwrite"))}</label>`
					: "";
			return `<tr><td>${this.esc(c.mapping)}</td><td>${this.esc(actions[c.action] || c.action)}</td><td>${details}</td><td>${tick}</td></tr>`;
		});
		let html = "";
		if ((preview.problems || []).length) {
			html += `<div class="text-danger afas-import-problems"><p><b>${this.esc(__("This file cannot be imported:"))}</b></p><p>${preview.problems
				.map((p) => this.esc(p))
				.join("<br>")}</p></div>`;
		}
		if ((preview.custom_fields || []).length) {
			html += `<p>${this.esc(__("Custom fields to add: {0}", [preview.custom_fields.join(", ")]))}</p>`;
		}
		html +=
			`<p>${this.esc(__("What the import changes; a mapping that differs is only overwritten when you tick it."))}</p>` +
			`<div style="overflow-x: auto"><table class="table table-bordered table-sm afas-import-table"><thead><tr>` +
			[__("Mapping"), __("Change"), __("Differences (here → file)"), ""].map((h) => `<th>${this.esc(h)}</th>`).join("") +
			`</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
		return html;
	},
};
