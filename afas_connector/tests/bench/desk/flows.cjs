// The desk flows a user clicks, in headless Chromium against the real site. Run by
// test_desk_flows.py, one flow per call; prints one JSON line: {ok, flow, facts, errors, screenshot}.
// A flow fails on a script error in the page, on any 5xx answer of the server, and on a dialog
// titled as an error.
// Usage: node flows.cjs <base url> <user> <password> <flow> <screenshot.png> [json args]
const { chromium } = require("playwright-core");

const [base, usr, pwd, flow, screenshot, rawArgs] = process.argv.slice(2);
const args = rawArgs ? JSON.parse(rawArgs) : {};

// The mapping list's New from Template dialog, open, with its template field ready.
async function template_picker(page) {
	await page.goto(`${base}/app/afas-connector-mapping`, { waitUntil: "domcontentloaded" });
	const button = page.locator(".page-actions button", { hasText: args.template_button }).first();
	await button.waitFor({ state: "visible", timeout: 60000 });
	await button.click();
	const picker = await dialog(page);
	await page.waitForFunction(() => window.cur_dialog && cur_dialog.fields_dict.template, null, { timeout: 20000 });
	return picker;
}

async function dialog(page, timeout = 30000) {
	const modal = page.locator(".modal.show").last();
	await modal.waitFor({ state: "visible", timeout });
	return modal;
}

async function closeDialogs(page) {
	for (const close of await page.locator(".modal.show .btn-modal-close").all()) {
		await close.click().catch(() => {});
	}
	await page.waitForFunction(() => !document.querySelector(".modal.show"), null, { timeout: 10000 });
}

async function menu(page, group, item) {
	const button = page.locator(`.inner-group-button[data-label="${group}"]`);
	await button.waitFor({ state: "visible", timeout: 20000 });
	await button.locator("button").first().click();
	await button.locator(".dropdown-menu a", { hasText: item }).first().click();
}

async function openForm(page, doctype, name) {
	const slug = doctype.toLowerCase().replace(/ /g, "-");
	await page.goto(`${base}/app/${slug}/${encodeURIComponent(name)}`, { waitUntil: "domcontentloaded" });
	await page.waitForFunction(
		([dt]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.page && cur_frm.page.wrapper.is(":visible"),
		[doctype],
		{ timeout: 60000 }
	);
	await page.waitForTimeout(500);
}

const flows = {
	// AFAS Settings → Test Connection: connected, with the connectors AFAS offers listed.
	async settings(page, facts) {
		await openForm(page, "AFAS Settings", "AFAS Settings");
		await page.locator("button", { hasText: args.test_button }).first().click();
		const modal = await dialog(page);
		facts.title = (await modal.locator(".modal-title").innerText()).trim();
		facts.body = (await modal.locator(".modal-body").innerText()).trim();
	},

	// A mapping from scratch: pick the connector, Fetch Fields before saving, save, Preview, Sync Now
	// with its progress dialog to the end.
	async new_mapping(page, facts) {
		await page.goto(`${base}/app/afas-connector-mapping/new`, { waitUntil: "domcontentloaded" });
		await page.waitForFunction(() => window.cur_frm && cur_frm.doctype === "AFAS Connector Mapping" && cur_frm.is_new(), null, {
			timeout: 60000,
		});
		await page.evaluate((a) => {
			cur_frm.set_value("mapping_name", a.name);
			cur_frm.set_value("direction", "Inbound");
			cur_frm.set_value("erpnext_doctype", a.doctype);
			cur_frm.set_value("schedule", "Manual Only");
		}, args);
		// the picker offers the connectors AFAS has
		await page.waitForFunction(() => (cur_frm.fields_dict.afas_connector.get_data() || []).length > 0, null, { timeout: 20000 });
		facts.picker = await page.evaluate(() => cur_frm.fields_dict.afas_connector.get_data().map((d) => d.value));
		const input = page.locator('[data-fieldname="afas_connector"] input');
		await input.click();
		await input.fill(args.connector.slice(0, 6));
		await page.locator(".awesomplete li", { hasText: args.connector }).first().click();
		await page.waitForFunction((c) => cur_frm.doc.afas_connector === c, args.connector, { timeout: 10000 });
		await menu(page, args.afas_group, args.fetch_item);
		const fetched = await dialog(page);
		facts.fetch_dialog = (await fetched.locator(".modal-body").innerText()).trim();
		await closeDialogs(page);
		facts.rows = await page.evaluate(() => cur_frm.doc.field_mappings.map((r) => [r.afas_field, r.erpnext_field, r.transform]));
		facts.key_field = await page.evaluate(() => cur_frm.doc.afas_key_field);
		facts.modified_field = await page.evaluate(() => cur_frm.doc.modified_field);
		// the user keeps the rows they want and says how existing documents are found
		await page.evaluate((a) => {
			cur_frm.doc.field_mappings = cur_frm.doc.field_mappings.filter((r) => a.keep.includes(r.erpnext_field));
			cur_frm.doc.field_mappings.forEach((r, i) => (r.idx = i + 1));
			cur_frm.refresh_field("field_mappings");
			cur_frm.set_value("erpnext_key_field", a.match);
		}, args);
		await page.keyboard.press("Control+s");
		await page.waitForFunction(() => !cur_frm.is_new() && !cur_frm.is_dirty(), null, { timeout: 30000 });
		await page.waitForTimeout(800);
		await menu(page, args.afas_group, args.preview_item);
		const preview = await dialog(page);
		await preview.locator("table.afas-table").waitFor({ timeout: 20000 });
		facts.preview_rows = await preview.locator("table.afas-table tbody tr").count();
		facts.preview_text = (await preview.locator(".modal-body").innerText()).slice(0, 400);
		await closeDialogs(page);
		// a new mapping starts switched off (issue 26): checked, the user switches it on
		facts.enabled_before = await page.evaluate(() => cur_frm.doc.enabled);
		await page.evaluate(() => cur_frm.set_value("enabled", 1));
		await page.keyboard.press("Control+s");
		await page.waitForFunction(() => !cur_frm.is_dirty() && cur_frm.doc.enabled === 1, null, { timeout: 30000 });
		await page.waitForTimeout(800);
		await menu(page, args.afas_group, args.sync_item);
		const progress = await dialog(page);
		await page.waitForFunction(
			() => {
				const pill = document.querySelector(".modal.show .afas-status");
				return pill && /green|orange|red/.test(pill.className);
			},
			null,
			{ timeout: 90000 }
		);
		facts.sync_status = (await progress.locator(".afas-status").innerText()).trim();
		facts.sync_text = (await progress.locator(".afas-progress-text").innerText()).trim();
		facts.progress_width = await progress.locator(".afas-progress").evaluate((el) => el.style.width);
		facts.log_link = await progress.locator("a[href^='/app/afas-sync-log/']").getAttribute("href");
	},

	// The Sync Log list: select a failed log, Actions → Retry; the answer says what happened.
	async retry(page, facts) {
		await page.goto(`${base}/app/afas-sync-log?name=${encodeURIComponent(args.log)}`, { waitUntil: "domcontentloaded" });
		const row = page.locator(".list-row-container", { hasText: args.title }).first();
		await row.waitFor({ timeout: 60000 });
		await row.locator("input.list-row-checkbox").check();
		await page.locator("button", { hasText: args.actions_label }).first().click();
		await page.locator(".dropdown-menu.show a", { hasText: args.retry_item }).first().click();
		await page.waitForSelector(".alert-message, .desk-alert", { timeout: 20000 });
		facts.alert = (await page.locator(".alert-message, .desk-alert").first().innerText()).trim();
		await page.goto(`${base}/app/afas-sync-log/${encodeURIComponent(args.log)}`, { waitUntil: "domcontentloaded" });
		await page.waitForFunction(() => window.cur_frm && cur_frm.doctype === "AFAS Sync Log", null, { timeout: 60000 });
		await page.waitForTimeout(800);
		facts.save_button = await page.locator(".primary-action:visible", { hasText: /Save|Opslaan/ }).count();
		facts.status = await page.evaluate(() => cur_frm.doc.status);
	},

	// A log with record errors: the table, and a name with < and > kept whole.
	async log_form(page, facts) {
		await openForm(page, "AFAS Sync Log", args.log);
		await page.locator("[data-fieldname='record_errors_html'] table").waitFor({ timeout: 20000 });
		facts.table = (await page.locator("[data-fieldname='record_errors_html'] table").innerText()).trim();
		facts.save_button = await page.locator(".primary-action:visible", { hasText: /Save|Opslaan/ }).count();
		facts.visible_payload = await page.locator("[data-fieldname='payload']:visible").count();
	},

	// New from Template on the mapping list: pick a template, see what it maps (and that it reads every
	// row where AFAS has no modified-date column), answer its questions, land on the saved mapping.
	async new_from_template(page, facts) {
		const picker = await template_picker(page);
		await page.evaluate((id) => cur_dialog.set_value("template", id), args.template);
		await page.waitForTimeout(500);
		facts.options = await page.evaluate(() => cur_dialog.fields_dict.template.df.options.map((o) => o.value));
		facts.about = (await picker.locator(".modal-body").innerText()).trim();
		await page.screenshot({ path: screenshot.replace(/\.png$/, "-picker.png"), fullPage: true });
		await picker.locator(".btn-primary", { hasText: args.next_label }).click();
		await page.waitForFunction((t) => window.cur_dialog && cur_dialog.title === t, args.title, { timeout: 20000 });
		await page.evaluate((name) => cur_dialog.set_value("mapping_name", name), args.name);
		facts.questions = await page.evaluate(() => cur_dialog.fields.map((f) => f.fieldname));
		await page.locator(".modal.show .btn-primary", { hasText: args.create_label }).click();
		await page.waitForFunction(
			(name) => window.cur_frm && cur_frm.doctype === "AFAS Connector Mapping" && cur_frm.doc.name === name,
			args.name,
			{ timeout: 60000 }
		);
		await page.waitForTimeout(1500);
		facts.doc = await page.evaluate(() => ({
			enabled: cur_frm.doc.enabled,
			template: cur_frm.doc.template,
			connector: cur_frm.doc.afas_connector,
			modified_field: cur_frm.doc.modified_field || "",
			deletion_mode: cur_frm.doc.deletion_mode,
			rows: cur_frm.doc.field_mappings.length,
		}));
		facts.intro = (await page.locator(".form-intro-area, .form-message").first().innerText().catch(() => "")).trim();
	},

	// New from Template, a template of an app this site lacks (HRMS's leave): the picker lists it, says why
	// it is unavailable, and Next answers with the reason instead of the questions.
	async template_unavailable(page, facts) {
		const picker = await template_picker(page);
		facts.first = await page.evaluate(() => cur_dialog.get_value("template"));
		await page.evaluate((id) => cur_dialog.set_value("template", id), args.template);
		await page.waitForTimeout(500);
		facts.label = await page.evaluate(
			(id) => (cur_dialog.fields_dict.template.df.options.find((o) => o.value === id) || {}).label,
			args.template
		);
		facts.about = (await picker.locator(".modal-body").innerText()).trim();
		await picker.locator(".btn-primary", { hasText: args.next_label }).click();
		await page.waitForTimeout(1000);
		facts.message = (await page.locator(".modal.show .msgprint").last().innerText().catch(() => "")).trim();
		facts.asked = await page.evaluate(() => !!(window.cur_dialog && cur_dialog.fields_dict.mapping_name));
		await page.screenshot({ path: screenshot, fullPage: true });
	},

	// Import Mappings on the list: choose an exported file, see what it changes, tick the one to overwrite.
	async import_mappings(page, facts) {
		await page.goto(`${base}/app/afas-connector-mapping`, { waitUntil: "domcontentloaded" });
		await page.locator(".page-actions .inner-group-button").first().waitFor({ state: "visible", timeout: 60000 });
		await menu(page, args.afas_group, args.import_item);
		const modal = await dialog(page);
		await modal.locator("input.afas-import-file").setInputFiles(args.file);
		await modal.locator("table.afas-import-table tbody tr").first().waitFor({ timeout: 20000 });
		facts.preview = (await modal.locator("table.afas-import-table").innerText()).trim();
		await page.screenshot({ path: screenshot.replace(/\.png$/, "-preview.png"), fullPage: true });
		for (const name of args.overwrite || []) {
			await modal.locator(`input.afas-overwrite[data-mapping="${name}"]`).check();
		}
		await modal.locator(".btn-primary", { hasText: args.import_label }).click();
		await page.waitForSelector(".afas-import-result", { timeout: 30000 });
		facts.result = (await page.locator(".modal.show .modal-body").last().innerText()).trim();
	},

	// Sync Now on a long first run: while it runs, the dialog shows rows/s, how far it is and the
	// time left (the screenshot is taken mid-run).
	async sync_progress(page, facts) {
		await openForm(page, "AFAS Connector Mapping", args.name);
		await menu(page, args.afas_group, args.sync_item);
		const progress = await dialog(page);
		await page.waitForFunction(
			(left) => {
				const text = document.querySelector(".modal.show .afas-progress-text");
				return text && text.innerText.includes(left);
			},
			args.left_word,
			{ timeout: 90000 }
		);
		facts.running_text = (await progress.locator(".afas-progress-text").innerText()).trim();
		facts.running_width = await progress.locator(".afas-progress").evaluate((el) => el.style.width);
		facts.running_status = (await progress.locator(".afas-status").innerText()).trim();
	},

	// Sync Now with no worker on the long queue (issue 26): the dialog says so and what to do, and so
	// does the run's Queued Sync Log.
	async sync_no_worker(page, facts) {
		await openForm(page, "AFAS Connector Mapping", args.name);
		await menu(page, args.afas_group, args.sync_item);
		const modal = await dialog(page);
		await modal.locator(".afas-waiting").waitFor({ state: "visible", timeout: 30000 });
		await page.waitForTimeout(1500); // a poll or two: the notice stays while the run waits
		facts.waiting = (await modal.locator(".afas-waiting").innerText()).trim();
		facts.status = (await modal.locator(".afas-status").innerText()).trim();
		facts.log_link = await modal.locator('a[href*="/app/afas-sync-log/"]').getAttribute("href");
		await page.screenshot({ path: screenshot.replace(/\.png$/, "-dialog.png"), fullPage: true });
		await closeDialogs(page);
		await openForm(page, "AFAS Sync Log", decodeURIComponent(facts.log_link.split("/").pop()));
		const headline = page.locator(".form-message .afas-waiting");
		await headline.waitFor({ state: "visible", timeout: 20000 });
		facts.headline = (await headline.innerText()).trim();
	},

	// The first hour (issue 26), on a mapping made from a template: Preview (rows it would insert say
	// "new"), switch it on, Sync Now. With no worker the dialog says so and how to run it now; with one,
	// the run goes to its end.
	async first_hour_mapping(page, facts) {
		await openForm(page, "AFAS Connector Mapping", args.name);
		facts.intro_before = (await page.locator(".form-intro-area, .form-message").first().innerText().catch(() => "")).trim();
		if (!args.skip_preview) {
			await menu(page, args.afas_group, args.preview_item);
			const preview = await dialog(page);
			await preview.locator("table.afas-table").waitFor({ timeout: 20000 });
			facts.preview_documents = await preview.locator("table.afas-table tbody tr td:nth-child(3)").allInnerTexts();
			facts.preview_results = await preview.locator("table.afas-table tbody tr td:nth-child(2)").allInnerTexts();
			await page.screenshot({ path: screenshot.replace(/\.png$/, "-preview.png"), fullPage: true });
			await closeDialogs(page);
		}
		await page.evaluate(() => cur_frm.set_value("enabled", 1));
		await page.keyboard.press("Control+s");
		await page.waitForFunction(() => !cur_frm.is_dirty() && cur_frm.doc.enabled === 1, null, { timeout: 30000 });
		await page.waitForTimeout(800);
		await menu(page, args.afas_group, args.sync_item);
		const modal = await dialog(page);
		if (args.expect_waiting) {
			await modal.locator(".afas-waiting").waitFor({ state: "visible", timeout: 30000 });
			facts.waiting = (await modal.locator(".afas-waiting").innerText()).trim();
			facts.status = (await modal.locator(".afas-status").innerText()).trim();
			return;
		}
		await page.waitForFunction(
			() => {
				const pill = document.querySelector(".modal.show .afas-status");
				return pill && /green|orange|red/.test(pill.className);
			},
			null,
			{ timeout: 90000 }
		);
		facts.status = (await modal.locator(".afas-status").innerText()).trim();
		facts.text = (await modal.locator(".afas-progress-text").innerText()).trim();
		facts.waiting_shown = await modal.locator(".afas-waiting:visible").count();
	},

	// The AFAS workspace: three number cards and two charts, no server error.
	async workspace(page, facts) {
		await page.goto(`${base}/app/afas`, { waitUntil: "domcontentloaded" });
		await page.waitForSelector(".number-widget-box", { timeout: 60000 });
		await page.waitForFunction(() => document.querySelectorAll(".number-widget-box").length >= 3, null, { timeout: 30000 });
		await page.waitForFunction(() => document.querySelectorAll(".widget.dashboard-widget-box").length >= 2, null, { timeout: 30000 });
		await page.waitForTimeout(2500);
		facts.cards = await page.locator(".number-widget-box .widget-title").allInnerTexts();
		facts.charts = await page.locator(".dashboard-widget-box .widget-title").allInnerTexts();
		facts.shortcuts = await page.locator(".shortcut-widget-box .widget-title").allInnerTexts();
	},
};

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
	const page = await context.newPage();
	const errors = [];
	const facts = {};
	page.on("pageerror", (err) => errors.push(`script: ${err.message}`));
	page.on("response", (response) => {
		if (response.status() >= 500) errors.push(`server: HTTP ${response.status()} ${response.url()}`);
	});
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		await flows[flow](page, facts);
		const titles = await page.locator(".modal.show .modal-title").allInnerTexts();
		for (const title of titles) {
			if (/error|fout/i.test(title)) errors.push(`dialog: ${title}`);
		}
		await page.screenshot({ path: screenshot, fullPage: true });
		console.log(JSON.stringify({ ok: errors.length === 0, flow, facts, errors, screenshot }));
	} catch (err) {
		await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
		console.log(JSON.stringify({ ok: false, flow, facts, error: String(err && err.message), errors, screenshot }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
