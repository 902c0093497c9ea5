// Open desk pages in headless Chromium and report what they show: log in, then for each route wait
// until the page's text includes the expected words. Run by test_desk_monitoring.py; prints one JSON
// line {ok, pages: {route: text}, errors}.
// Usage: node page_text.cjs <base url> <user> <password> <screenshot dir> <route>=<expected text>...
const { chromium } = require("playwright-core");

const [base, usr, pwd, shots, ...checks] = process.argv.slice(2);

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 1400 } });
	const page = await context.newPage();
	const errors = [];
	const pages = {};
	page.on("pageerror", (err) => errors.push(err.message));
	let current = "";
	try {
		const login = await context.request.post(`${base}/api/method/login`, { data: { usr, pwd } });
		if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
		for (const check of checks) {
			const [route, expected] = check.split(/=(.*)/s);
			current = route;
			await page.goto(`${base}${route}`, { waitUntil: "domcontentloaded" });
			await page.waitForFunction((words) => document.body.innerText.includes(words), expected, {
				timeout: 60000,
			});
			pages[route] = await page.evaluate(() => document.body.innerText);
			await page.screenshot({ path: `${shots}/${route.replace(/\W+/g, "_")}.png`, fullPage: true });
		}
		console.log(JSON.stringify({ ok: true, pages, errors }));
	} catch (err) {
		await page.screenshot({ path: `${shots}/failed.png`, fullPage: true }).catch(() => {});
		const text = await page.evaluate(() => document.body.innerText).catch(() => "");
		console.log(JSON.stringify({ ok: false, route: current, error: String(err && err.message), text: text.slice(0, 3000), errors }));
		process.exitCode = 1;
	} finally {
		await browser.close();
	}
})();
