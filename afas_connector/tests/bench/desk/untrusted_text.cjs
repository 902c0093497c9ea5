// Issue 23 §2: desk pages showing text from AFAS (<img onerror>, <script>, <svg onload> in keys, names
// and messages), in headless Chromium. Run by test_desk_untrusted_text.py, one flow per call; prints
// one JSON line: {ok, flow, facts, errors}. A flow fails when anything runs: a native alert, confirm or
// prompt (page.on("dialog")), a script error, a 5xx answer, or an element made from AFAS's text (an
// <img src=x>, an <svg onload>, a script saying alert) found in the page. Every page is screenshotted.
// Usage: node untrusted_text.cjs <base url> <user> <password> <flow> <screenshot prefix> <json args>
const { chromium } = require("playwright-core");

const [base, usr, pwd, flow, prefix, rawArgs] = process.argv.slice(2);
const args = rawArgs ? JSON.parse(rawArgs) : {};
const errors = [];

async function openForm(page, doctype, name) {
	const slug = doctype.toLowerCase().replace(/ /g, "-");
	await page.goto(`${base}/app/${slug}/${encodeURIComponent(name)}`, { waitUntil: "domcontentloaded" });
	await page.waitForFunction(
		([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.doc.name === dn && cur_frm.page.wrapper.is(":visible"),
		[doctype, name],
		{ timeout: 60000 }
	);
	await page.waitForTimeout(1200); // the form's refresh scripts and any image load (onerror) happen
}

async function openList(page, route) {
	await page.goto(`${base}${route}`, { waitUntil: "domcontentloaded" });
	await page.waitForSelector(".frappe-list .result, .frappe-list .no-result, .dt-scrollable", { timeout: 60000 });
	await page.waitForTimeout(1500);
}

// What the page shows of one field of the open form.
async function fieldText(page, fieldname) {
	const field = page.locator(`.frappe-control[data-fieldname="${fieldname}"]`).first();
	return (await field.innerText().catch(() => "")).trim();
}

// Elements that only exist when AFAS's text was put into the page as HTML.
async function injected(page, step) {
	const found = await page.evaluate(() => {
		const hits = [];
		for (const el of document.querySelectorAll("img[src='x'], [onload], [onerror]")) {
			const handler = `${el.getAttribute("onload") || ""} ${el.getAttribute("onerror") || ""}`;
			if (el.getAttribute("src") === "x" || handler.includes("alert(1)")) hits.push(el.outerHTML.slice(0, 80));
		}
		for (const script of document.querySelectorAll("script")) {
			if (script.textContent.includes("alert(1)")) hits.push(script.outerHTML.slice(0, 80));
		}
		return hits;
	});
	for (const hit of found) errors.push(`${step}: element made from AFAS text: ${hit}`);
}

async function shot(page, name) {
	await page.screenshot({ path: `${prefix}-${name}.png`, fullPage: true });
}

const flows = {
	// The Sync Logs: a push AFAS refused (its message, detail and excerpts) and a run with row errors.
	async logs(page, facts) {
		await openForm(page, "AFAS Sync Log", args.push_log);
		facts.push_error = await fieldText(page, "error");
		facts.push_detail = await fieldText(page, "error_detail");
		facts.push_title = (await page.locator(".page-head .title-text").first().innerText()).trim();
		await injected(page, "push log");
		await shot(page, "push-log");
		await openForm(page, "AFAS Sync Log", args.run_log);
		facts.run_error = await fieldText(page, "error");
		await page.locator("[data-fieldname='record_errors_html'] table").waitFor({ timeout: 20000 });
		facts.run_table = (await page.locator("[data-fieldname='record_errors_html'] table").innerText()).trim();
		await injected(page, "run log");
		await shot(page, "run-log");
		await openList(page, `/app/afas-sync-log?mapping=${encodeURIComponent(args.mapping)}`);
		facts.log_list = (await page.locator(".frappe-list").innerText()).trim();
		await injected(page, "log list");
	},

	// A Record Link whose AFAS key carries markup: its form, the list and the report view.
	async links(page, facts) {
		await openForm(page, "AFAS Record Link", args.link);
		facts.form_key = await page.evaluate(() => cur_frm.fields_dict.afas_key.get_value());
		facts.form_title = (await page.locator(".page-head .title-text").first().innerText()).trim();
		await injected(page, "link form");
		await shot(page, "link-form");
		await openList(page, `/app/afas-record-link?mapping=${encodeURIComponent(args.mapping)}`);
		facts.list = (await page.locator(".frappe-list").innerText()).trim();
		await injected(page, "link list");
		await shot(page, "link-list");
		await openList(page, `/app/afas-record-link/view/report?mapping=${encodeURIComponent(args.mapping)}`);
		facts.report = (await page.locator(".frappe-list, .report-view").first().innerText()).trim();
		await injected(page, "link report");
		await shot(page, "link-report");
		await openList(page, `/app/afas-file-link?mapping=${encodeURIComponent(args.mapping)}`);
		facts.file_list = (await page.locator(".frappe-list").innerText()).trim();
		await injected(page, "file link list");
		await shot(page, "file-link-list");
	},

	// The AFAS Alert about the failing runs (AFAS's last error in its message), the bell, the workspace.
	async alert(page, facts) {
		await openForm(page, "AFAS Alert", args.alert);
		facts.message = await fieldText(page, "message");
		await injected(page, "alert form");
		await shot(page, "alert");
		// the bell: in the navbar on Frappe 15, a sidebar item on Frappe 16
		await page
			.locator(".dropdown-notifications .nav-link:visible, .notifications-icon:visible, .sidebar-notification:visible")
			.first()
			.click();
		await page.waitForSelector(".notification-item, .notifications-list .recent-item", { timeout: 30000 });
		await page.waitForTimeout(800);
		facts.bell = (await page.locator(".notifications-list, .dropdown-notifications .dropdown-menu").first().innerText()).trim();
		await injected(page, "notifications");
		await shot(page, "bell");
		// the AFAS workspace: its number cards (Background Jobs is the connector's own text) and charts
		await page.goto(`${base}/app/afas`, { waitUntil: "domcontentloaded" });
		await page.waitForFunction(() => document.querySelectorAll(".number-widget-box").length >= 3, null, { timeout: 60000 });
		await page.waitForTimeout(2500);
		facts.cards = await page.locator(".number-widget-box").allInnerTexts();
		await injected(page, "workspace");
		await shot(page, "workspace");
	},

	// The mapping's Preview dialog (AFAS keys, values and row errors in its table) and its connector picker.
	async preview(page, facts) {
		await openForm(page, "AFAS Connector Mapping", args.mapping);
		const group = page.locator(`.inner-group-button[data-label="${args.afas_group}"]`);
		await group.waitFor({ state: "visible", timeout: 20000 });
		await group.locator("button").first().click();
		await group.locator(".dropdown-menu a", { hasText: args.preview_item }).first().click();
		const modal = page.locator(".modal.show").last();
		await modal.locator("table.afas-table").waitFor({ timeout: 30000 });
		await page.waitForTimeout(800);
		facts.table = (await modal.locator("table.afas-table").innerText()).trim();
		await injected(page, "preview");
		await shot(page, "preview");
		await modal.locator(".btn-modal-close").first().click();
		await page.waitForFunction(() => !document.querySelector(".modal.show"), null, { timeout: 10000 });
		// the AFAS Connector picker: the connectors AFAS's metainfo lists, with their descriptions
		await page.waitForFunction(() => (cur_frm.fields_dict.afas_connector.get_data() || []).length > 0, null, { timeout: 20000 });
		const input = page.locator('[data-fieldname="afas_connector"] input');
		await input.click();
		await input.fill(args.listed.slice(0, 7));
		const item = page.locator(".awesomplete li", { hasText: args.listed }).first();
		await item.waitFor({ state: "visible", timeout: 20000 });
		await page.waitForTimeout(800);
		facts.picker = (await item.innerText()).trim();
		await injected(page, "connector picker");
		await shot(page, "picker");
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
	const facts = {};
	page.on("dialog", async (dialog) => {
		errors.push(`script ran: ${dialog.type()}(${JSON.stringify(dialog.message())}) on ${page.url()}`);
		await dialog.dismiss().catch(() => {});
	});
	page.on("pageerror", (err) => errors.push(`script error: ${err.message}`));
	page.on("response", (response) => {
		if (response.status() >= 500) errors.push(`server: HTTP ${response.status()} ${response.url()}`);
	});
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		await flows[flow](page, facts);
		console.log(JSON.stringify({ ok: errors.length === 0, flow, facts, errors }));
	} catch (err) {
		await page.screenshot({ path: `${prefix}-failed.png`, fullPage: true }).catch(() => {});
		console.log(JSON.stringify({ ok: false, flow, facts, error: String(err && err.message), errors }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
