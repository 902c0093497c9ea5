// Drive the real desk in headless Chromium: log in, open a document's form, press AFAS → Push to
// AFAS, and wait for the confirmation. Run by test_desk_button.py; prints one JSON line.
// Usage: node push_to_afas.cjs <base url> <user> <password> <doctype> <name> [screenshot.png]
const { chromium } = require("playwright-core");

const [base, usr, pwd, doctype, name, screenshot] = process.argv.slice(2);
const slug = doctype.toLowerCase().replace(/ /g, "-");

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: [
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
	const page = await context.newPage();
	const errors = [];
	page.on("pageerror", (err) => errors.push(err.message));
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		await page.goto(`${base}/app/${slug}/${encodeURIComponent(name)}`, { waitUntil: "domcontentloaded" });
		await page.waitForFunction(
			([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.doc.name === dn && !cur_frm.is_new(),
			[doctype, name],
			{ timeout: 60000 }
		);
		const group = page.locator('.inner-group-button[data-label="AFAS"]');
		await group.waitFor({ state: "visible", timeout: 20000 });
		const items = await group.locator(".dropdown-menu a").allInnerTexts();
		await group.locator("button").first().click();
		await group.locator(".dropdown-menu a", { hasText: "Push to AFAS" }).click();
		await page.waitForFunction(() => document.body.innerText.includes("Push to AFAS queued"), null, {
			timeout: 20000,
		});
		const boot = await page.evaluate(() => frappe.boot.afas_outbound_doctypes);
		if (screenshot) await page.screenshot({ path: screenshot });
		console.log(JSON.stringify({ ok: true, items: items.map((t) => t.trim()), boot, errors }));
	} catch (err) {
		if (screenshot) await page.screenshot({ path: screenshot }).catch(() => {});
		console.log(JSON.stringify({ ok: false, error: String(err && err.message), errors }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
