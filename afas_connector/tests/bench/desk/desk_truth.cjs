// What the desk shows, read off the page in headless Chromium (issue 26 §4): the AFAS workspace's
// number cards (their numbers and the colour they are shown in), AFAS Settings' headline and status
// block, Sync Log forms (which sections show) and Test Connection's dialog. Run by
// test_desk_truth.py; prints one JSON line {ok, facts, errors}; a screenshot per step in <dir>.
// Usage: node desk_truth.cjs <base url> <user> <password> <screenshot dir> <json steps>
// Steps: [{"step": "workspace"}, {"step": "settings", "expect": "text"}, {"step": "test_connection",
// "button": "Test Connection"}, {"step": "log", "name": "…"}]
const { chromium } = require("playwright-core");

const [base, usr, pwd, shots, rawSteps] = process.argv.slice(2);
const steps = JSON.parse(rawSteps);

async function openForm(page, doctype, name) {
	const slug = doctype.toLowerCase().replace(/ /g, "-");
	await page.goto(`${base}/app/${slug}/${encodeURIComponent(name)}`, { waitUntil: "domcontentloaded" });
	await page.waitForFunction(
		([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.docname === dn && cur_frm.page.wrapper.is(":visible"),
		[doctype, name],
		{ timeout: 60000 }
	);
	await page.waitForTimeout(800);
}

const run = {
	// Every number card once loaded: its title, what it shows, and the colour the text is drawn in.
	async workspace(page) {
		await page.goto(`${base}/app/afas`, { waitUntil: "domcontentloaded" });
		await page.waitForFunction(() => document.querySelectorAll(".number-widget-box").length >= 5, null, { timeout: 60000 });
		await page.waitForFunction(
			() =>
				[...document.querySelectorAll(".number-widget-box")].every(
					(card) => card.querySelector(".widget-content .number") && !card.querySelector(".number-card-loading")
				),
			null,
			{ timeout: 60000 }
		);
		await page.waitForTimeout(500);
		return page.evaluate(() =>
			[...document.querySelectorAll(".number-widget-box")].map((card) => {
				const number = card.querySelector(".widget-content .number");
				const inner = number.querySelector("span") || number;
				return {
					title: card.querySelector(".widget-title").innerText.trim(),
					text: number.innerText.trim(),
					color: getComputedStyle(inner).color,
					css: inner.className || "",
				};
			})
		);
	},

	// AFAS Settings: the headline (last Test Connection) and the Background Jobs and Health block.
	async settings(page, step) {
		await openForm(page, "AFAS Settings", "AFAS Settings");
		await page.waitForFunction((words) => document.body.innerText.includes(words), step.expect || "Queues:", {
			timeout: 60000,
		});
		await page.waitForTimeout(500);
		return page.evaluate(() => {
			const headline = document.querySelector(".form-dashboard .afas-connection, .afas-connection");
			const block = cur_frm.get_field("monitoring_status").$wrapper;
			return {
				headline: headline ? headline.innerText.trim() : null,
				headline_css: headline ? headline.className : null,
				headline_color: headline ? getComputedStyle(headline).color : null,
				status: block.text(),
			};
		});
	},

	// AFAS Settings → Test Connection: the dialog's title, indicator and text.
	async test_connection(page, step) {
		await openForm(page, "AFAS Settings", "AFAS Settings");
		await page.locator("button", { hasText: step.button }).first().click();
		const modal = page.locator(".modal.show").last();
		await modal.waitFor({ state: "visible", timeout: 30000 });
		const facts = {
			title: (await modal.locator(".modal-title").innerText()).trim(),
			indicator: await modal.locator(".modal-title, .indicator").first().evaluate((el) => {
				const ind = el.closest(".modal-header").querySelector(".indicator");
				return ind ? ind.className : "";
			}),
			body: (await modal.locator(".modal-body").innerText()).trim(),
		};
		await page.screenshot({ path: `${shots}/test_connection.png`, fullPage: true });
		for (const close of await page.locator(".modal.show .btn-modal-close").all()) await close.click().catch(() => {});
		await page.waitForTimeout(1500); // the form reloads with the stored outcome
		return facts;
	},

	// A Sync Log: which of its sections are on the page, by label.
	async log(page, step) {
		await openForm(page, "AFAS Sync Log", step.name);
		return page.evaluate(() => ({
			status: cur_frm.doc.status,
			sections: cur_frm.layout.sections
				.filter((s) => s.df && s.df.label && s.wrapper && s.wrapper.is(":visible"))
				.map((s) => s.df.label),
			attempts: cur_frm.doc.attempts,
		}));
	},
};

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
	const page = await context.newPage();
	const errors = [];
	const facts = [];
	let current = "";
	page.on("pageerror", (err) => errors.push(`script: ${err.message}`));
	page.on("response", (response) => {
		if (response.status() >= 500) errors.push(`server: HTTP ${response.status()} ${response.url()}`);
	});
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		for (const [i, step] of steps.entries()) {
			current = step.step;
			facts.push(await run[step.step](page, step));
			if (step.step !== "test_connection") {
				await page.screenshot({ path: `${shots}/${i}-${step.step}${step.name ? "-" + step.name : ""}.png`, fullPage: true });
			}
		}
		console.log(JSON.stringify({ ok: errors.length === 0, facts, errors }));
	} catch (err) {
		await page.screenshot({ path: `${shots}/failed.png`, fullPage: true }).catch(() => {});
		const text = await page.evaluate(() => document.body.innerText).catch(() => "");
		console.log(JSON.stringify({ ok: false, step: current, error: String(err && err.message), text: text.slice(0, 3000), facts, errors }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
