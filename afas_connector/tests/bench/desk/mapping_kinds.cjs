// The AFAS Connector Mapping form per kind of mapping (issue 27 §3), read off the page in headless
// Chromium: for each mapping, which sections show (and whether each is collapsed), which fields show,
// which of those are read-only, and the form's intro. Run by test_mapping_form.py; prints one JSON
// line {ok, facts, errors}; a full-page screenshot per step in <dir>, named after the step.
// Usage: node mapping_kinds.cjs <base url> <user> <password> <screenshot dir> <json steps>
// Steps: [{"kind": "inbound", "name": "<saved mapping>"}, {"kind": "new-ledger", "set": {"mapping_type": "…"}}]
// A step with "name" opens that mapping; one without opens a new form and sets "set" on it.
const { chromium } = require("playwright-core");

const [base, usr, pwd, shots, rawSteps] = process.argv.slice(2);
const steps = JSON.parse(rawSteps);
const DOCTYPE = "AFAS Connector Mapping";

async function open(page, step) {
	const route = step.name ? encodeURIComponent(step.name) : "new";
	await page.goto(`${base}/app/afas-connector-mapping/${route}`, { waitUntil: "domcontentloaded" });
	await page.waitForFunction(
		([dt, name]) =>
			window.cur_frm &&
			cur_frm.doctype === dt &&
			(name ? cur_frm.docname === name : cur_frm.is_new()) &&
			cur_frm.page.wrapper.is(":visible"),
		[DOCTYPE, step.name || null],
		{ timeout: 60000 }
	);
	if (step.set) {
		await page.evaluate((values) => cur_frm.set_value(values), step.set);
	}
	await page.waitForTimeout(1000); // depends_on and collapsed sections settle on refresh
}

// What the form shows: sections by fieldname with their heading as drawn, fields by fieldname.
function shown() {
	const breaks = ["Section Break", "Column Break", "Tab Break"];
	const hidden = (el) => !el || el.closest(".hide-control") !== null;
	const sections = cur_frm.layout.sections
		.filter((s) => s.df && s.df.fieldname && !s.wrapper.hasClass("hide-control"))
		.map((s) => ({
			fieldname: s.df.fieldname,
			heading: s.head ? s.head.text().trim() : "",
			collapsed: s.is_collapsed(),
		}));
	const fields = [];
	const read_only = [];
	for (const f of cur_frm.fields) {
		if (!f.df.fieldname || breaks.includes(f.df.fieldtype) || !f.$wrapper) continue;
		if (hidden(f.$wrapper[0]) || f.$wrapper[0].closest(".form-section.hide-control")) continue;
		fields.push(f.df.fieldname);
		if (f.disp_status === "Read") read_only.push(f.df.fieldname);
	}
	const intro = cur_frm.page.wrapper.find(".form-intro-area, .form-message").filter(":visible").first();
	return {
		doc: { direction: cur_frm.doc.direction, mapping_type: cur_frm.doc.mapping_type },
		intro: intro.length ? intro.text().trim() : "",
		sections,
		fields,
		read_only,
	};
}

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
	const errors = [];
	const facts = {};
	let current = "";
	let page = null;
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		for (const step of steps) {
			current = step.kind;
			page = await context.newPage(); // a fresh page: a new form left unsaved stays behind
			page.on("pageerror", (err) => errors.push(`${step.kind}: script: ${err.message}`));
			page.on("response", (response) => {
				if (response.status() >= 500) errors.push(`${step.kind}: server: HTTP ${response.status()} ${response.url()}`);
			});
			await open(page, step);
			facts[step.kind] = await page.evaluate(shown);
			await page.screenshot({ path: `${shots}/${step.kind}.png`, fullPage: true });
			await page.close();
		}
		console.log(JSON.stringify({ ok: errors.length === 0, facts, errors }));
	} catch (err) {
		if (page) await page.screenshot({ path: `${shots}/failed.png`, fullPage: true }).catch(() => {});
		const text = page ? await page.evaluate(() => document.body.innerText).catch(() => "") : "";
		console.log(JSON.stringify({ ok: false, step: current, error: String(err && err.message), text: text.slice(0, 3000), facts, errors }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
