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
					// AFAS answered, but as another environment than the settings name: loud, never "Connected"
					const mismatch = result.ok && result.environment_mismatch;
					frappe.msgprint({
						title: mismatch ? __("Wrong AFAS environment") : result.ok ? __("Connected") : __("Connection failed"),
						indicator: result.ok && !mismatch ? "green" : "red",
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
		render_monitoring_status(frm);
	},
});

// The headline: the last Test Connection with its time. A failure AFAS has answered since (a later
// run or push succeeded) is over and is not shown as current; an answer from another AFAS
// environment than the settings name stays red until it is corrected. ``c``: the health answer's
// ``connection``, or (health not available) what the form holds.
function render_connection_headline(frm, c) {
	if (!c || !c.last_test) return;
	const esc = frappe.utils.escape_html;
	const when = (t) => frappe.datetime.str_to_user(t);
	let css = c.ok && !c.environment_mismatch ? "text-success" : "text-danger";
	let text = __("Test Connection, {0}: {1}", [when(c.last_test), c.message || ""]);
	if (!c.ok && !c.environment_mismatch && c.answered_since) {
		css = "text-success";
		text = __("AFAS answered at {0}, after the failed Test Connection of {1}.", [when(c.answered_since), when(c.last_test)]);
	}
	frm.dashboard.set_headline_alert(`<div class="afas-connection ${css}">${esc(text)}</div>`);
}

// The read-only "Background Jobs and Health" block: the health answer (afas_connector.api.health).
function render_monitoring_status(frm) {
	const field = frm.get_field("monitoring_status");
	if (!field) return;
	const esc = frappe.utils.escape_html;
	frappe
		.call({ method: "afas_connector.api.health", type: "GET" })
		.then((r) => {
			const h = r.message || {};
			render_connection_headline(frm, h.connection);
			const colour = { ok: "green", degraded: "orange", failing: "red" }[h.status] || "gray";
			const label = { ok: __("OK"), degraded: __("Degraded"), failing: __("Failing") }[h.status] || h.status;
			const scheduler = h.scheduler || {};
			const lines = [
				`<p><span class="indicator-pill ${colour}">${esc(label)}</span></p>`,
				`<p><b>${__("Scheduler")}:</b> ${
					scheduler.enabled
						? esc(__("enabled"))
						: scheduler.reason && scheduler.reason !== "disabled"
						? esc(__("disabled ({0})", [scheduler.reason]))
						: esc(__("disabled"))
				}; ${esc(__("last tick"))}: ${esc(scheduler.last_tick ? frappe.datetime.str_to_user(scheduler.last_tick) : __("never"))}</p>`,
			];
			if (h.queue_error) {
				lines.push(`<p class="text-danger">${esc(__("The job queue cannot be read: {0}", [h.queue_error]))}</p>`);
			} else {
				const queues = Object.entries(h.queues || {}).map(([name, q]) => {
					let jobs = __("empty");
					if (q.jobs) {
						jobs = q.jobs === 1 ? __("1 job waiting") : __("{0} jobs waiting", [q.jobs]);
						if (q.oldest_job_minutes != null) jobs += ", " + __("oldest job {0} min", [q.oldest_job_minutes]);
					}
					return esc(__("{0}: {1} workers", [name, q.workers]) + ", " + jobs);
				});
				lines.push(`<p><b>${__("Queues")}:</b> ${queues.join("; ")}</p>`);
			}
			const outbox = h.outbox || {};
			lines.push(
				`<p><b>${__("Outbox")}:</b> ${esc(outbox.pending === 1 ? __("1 change waiting") : __("{0} changes waiting", [outbox.pending || 0]))}${
					outbox.oldest_pending_minutes != null
						? esc(", " + __("oldest {0} min", [outbox.oldest_pending_minutes]))
						: ""
				}</p>`
			);
			if (h.alerts_by_email === false) {
				lines.push(
					`<p class="text-warning">${esc(
						__("No outgoing Email Account: alerts reach the AFAS Managers in the desk only.")
					)}</p>`
				);
			}
			const problems = h.problems || [];
			if (problems.length) {
				lines.push(
					`<ul>${problems
						.map(
							(p) =>
								`<li class="${p.severity === "failing" ? "text-danger" : "text-warning"}"><b>${esc(
									p.subject
								)}</b><br><span class="text-muted">${esc(p.message)}</span></li>`
						)
						.join("")}</ul>`
				);
			} else {
				lines.push(`<p class="text-muted">${esc(__("No problems."))}</p>`);
			}
			lines.push(
				`<p class="text-muted small">${esc(
					__(
						"Scheduled syncs, pushes and retries need the site's scheduler and workers for the default and long queues: bench start in development; in production the processes of bench setup supervisor (or systemd), and bench --site {0} enable-scheduler.",
						[frappe.boot.sitename]
					)
				)}</p>`
			);
			field.$wrapper.html(lines.join(""));
			const background = problems.filter((p) => ["scheduler", "workers", "stuck_jobs"].includes(p.kind));
			if (background.length) {
				frm.dashboard.add_comment(esc(background.map((p) => p.subject).join("; ")), "red", true);
			}
		})
		.catch(() => {
			field.$wrapper.html(`<p class="text-muted">${esc(__("Health not available."))}</p>`);
			render_connection_headline(frm, {
				last_test: frm.doc.last_connection_test,
				ok: frm.doc.connection_ok,
				message: frm.doc.connection_message,
			});
		});
}
