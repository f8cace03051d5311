// t/webmail/roundcube.js - drives Roundcube in headless Chromium
// (playwright-core) through what a user does, for t/webmail/roundcube.t:
// log in, the inbox list, open a message, send one, move one to a folder,
// delete one, search, log out.  Every step prints one line, "pass NAME" or
// "fail NAME: why"; the test turns them into TAP and checks the server
// side (Maildirs) itself.  Every wait is bounded (STEP_MS each, the whole
// run by the caller's timeout).
//
// Environment: RC_URL, CHROMIUM (the browser binary), RC_USER, RC_PASS, TO (the
// address to send to), SEND_SUBJECT, SB (screenshots of failures go there).
'use strict';
const { chromium } = require('playwright-core');

const STEP_MS = 45000;	// a bound, not a speed test: a loaded 2-core machine took 20 s to show the list
const env = (k) => {
	if (!process.env[k]) throw new Error(`${k} is not set`);
	return process.env[k];
};

// MODE: full (every step), login (log in, the inbox, log out), refused
// (the login must fail: the IMAP server's certificate is not trusted).
const MODES = {
	login: ['login page', 'log in', 'inbox lists the delivered messages', 'log out'],
	refused: ['login page', 'login refused'],
};
const mode = process.env.MODE || 'full';

let failed = 0;
async function step(page, name, fn) {
	if (mode === 'full' ? name === 'login refused' : !MODES[mode].includes(name))
		return;
	try {
		await fn();
		console.log(`pass ${name}`);
	} catch (e) {
		failed++;
		// The message's first line and Playwright's call log (the
		// selector waited for).
		const why = String(e && e.message || e).split('\n')
		    .filter((l) => l.trim() && !/^=+/.test(l)).slice(0, 3)
		    .map((l) => l.trim()).join(' | ');
		console.log(`fail ${name}: ${why}`);
		const shot = `${process.env.SB || '/tmp'}/fail-${mode}-${failed}.png`;
		await page.screenshot({ path: shot }).catch(() => {});
	}
}

function check(cond, why) {
	if (!cond) throw new Error(why);
}

// The subjects in the message list, in order (rows Roundcube removed are
// only hidden at first).
async function subjects(page) {
	return page.$$eval('#messagelist tbody tr', (rows) => rows
	    .filter((r) => r.offsetParent !== null && getComputedStyle(r).display !== 'none')
	    .map((r) => r.querySelector('span.subject a span'))
	    .filter((e) => e).map((e) => e.textContent.trim()));
}

// Wait (bounded) until the list's subjects satisfy pred.
async function listWhere(page, pred, what) {
	const until = Date.now() + STEP_MS;
	let s = [];
	while (Date.now() < until) {
		s = await subjects(page);
		if (pred(s)) return s;
		await page.waitForTimeout(250);
	}
	throw new Error(`${what}; list is [${s.join(', ')}]`);
}

// Wait until a popup menu is shown and its fade-in has ended: a click
// during Bootstrap's transition is lost.
async function popupShown(page, sel) {
	await page.waitForSelector(`${sel}[aria-hidden="false"]`);
	await page.waitForFunction((s) => {
		const m = document.querySelector(s);
		const p = m && (m.closest('.popover') || m);
		return p && p.offsetParent !== null && p.classList.contains('show') &&
		    p.getAnimations({ subtree: true }).length === 0;
	}, sel);
}

// Wait until Roundcube has no request in flight (a click while the list
// is reloading acts on the old selection, or on none).
async function idle(page) {
	await page.waitForFunction(() => window.rcmail && !window.rcmail.busy &&
	    window.jQuery && window.jQuery.active === 0);
}

async function openFolder(page, name) {
	await idle(page);
	await page.click(`#mailboxlist a[rel="${name}"]`);
	await page.waitForSelector(`#mailboxlist li.selected a[rel="${name}"]`);
	await idle(page);
}

// Click a row and wait until its preview is shown: Roundcube loads the
// preview after a delay and is busy meanwhile (a command then is dropped).
async function selectRow(page, subject) {
	await page.click(`#messagelist tbody tr:has(span.subject a span:text-is("${subject}"))`);
	await page.waitForSelector(
	    `#messagelist tbody tr.selected:has(span.subject a span:text-is("${subject}"))`);
	await page.frameLocator('#messagecontframe')
	    .locator('#message-header h2.subject', { hasText: subject }).waitFor();
	await idle(page);
}

// Chromium and a page.  A browser that dies while starting (seen once
// on a loaded machine, with no message) is started once more, and said.
async function start() {
	for (let i = 0; ; i++) {
		let browser;
		try {
			browser = await chromium.launch({
				executablePath: env('CHROMIUM'),
				// As root Chromium needs --no-sandbox; the page
				// is our own.
				args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
				timeout: STEP_MS,
			});
			const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
			return { browser, page };
		} catch (e) {
			if (browser) await browser.close().catch(() => {});
			if (i > 0) throw e;
			console.log(`note browser start failed, once: ${String(e.message).split('\n')[0]}`);
		}
	}
}

async function main() {
	const url = env('RC_URL'), user = env('RC_USER'), pass = env('RC_PASS');
	const to = process.env.TO, subj = process.env.SEND_SUBJECT;
	if (mode === 'full' && (!to || !subj)) throw new Error('TO and SEND_SUBJECT are needed');
	if (mode !== 'full' && !MODES[mode]) throw new Error(`unknown MODE ${mode}`);
	const { browser, page } = await start();
	page.setDefaultTimeout(STEP_MS);
	page.setDefaultNavigationTimeout(STEP_MS);

	await step(page, 'login page', async () => {
		await page.goto(url + '/');
		await page.waitForSelector('#rcmloginuser');
	});
	await step(page, 'log in', async () => {
		await page.fill('#rcmloginuser', user);
		await page.fill('#rcmloginpwd', pass);
		await page.click('#rcmloginsubmit');
		await page.waitForSelector('#messagelist tbody tr');
		const who = await page.locator('.header-title.username').innerText();
		check(who.trim() === user, `header shows '${who}'`);
	});
	await step(page, 'login refused', async () => {
		await page.fill('#rcmloginuser', user);
		await page.fill('#rcmloginpwd', pass);
		await page.click('#rcmloginsubmit');
		// "Connection to storage server failed."
		const msg = await page.locator('#messagestack div', { hasText: 'storage server' })
		    .first().innerText();
		check(/failed/i.test(msg), `the message is '${msg}'`);
		check(await page.locator('#rcmloginuser').isVisible(), 'the login form is gone');
		check(await page.locator('#messagelist').count() === 0, 'a message list is shown');
	});
	await step(page, 'inbox lists the delivered messages', async () => {
		await listWhere(page, (s) => ['test alpha', 'test bravo', 'test charlie',
		    'test delta'].every((x) => s.includes(x)), 'not all four messages');
	});
	await step(page, 'open a message: its body shows', async () => {
		await selectRow(page, 'test alpha');
		const f = page.frameLocator('#messagecontframe');
		const body = await f.locator('#messagebody').innerText();
		check(body.includes('This is test message alpha.'), `body is '${body.slice(0, 80)}'`);
		const h = await f.locator('#message-header h2.subject').innerText();
		check(h.includes('test alpha'), `subject header is '${h}'`);
	});
	await step(page, 'send a message', async () => {
		await page.click('#taskmenu a.compose');
		await page.waitForSelector('#compose-subject');
		await page.fill('#compose_to .recipient-input input', to);
		await page.fill('#compose-subject', subj);
		await page.fill('#composebody', 'Sent from Roundcube through tern.\nLine two.');
		await page.click('.formbuttons button.send');
		// Back to the list once sent, and the copy is in Sent.
		await page.waitForURL((u) => !/_action=compose/.test(u.toString()));
		await page.waitForSelector('#messagelist tbody tr');
		await openFolder(page, 'Sent');
		await listWhere(page, (s) => s.includes(subj), 'the sent message is not in Sent');
	});
	await step(page, 'move a message to Archive', async () => {
		await openFolder(page, 'INBOX');
		await listWhere(page, (s) => s.includes('test bravo'), 'bravo not listed');
		await selectRow(page, 'test bravo');
		await page.click('#messagemenulink[aria-disabled="false"], #messagemenulink:not([aria-disabled])');
		// The popup fades in; a click before it is shown is lost.
		await popupShown(page, '#message-menu');
		await page.click('#message-menu a.move');
		await popupShown(page, '#folder-selector');
		await page.click('#folder-selector li a:has(span:text-is("Archive"))');
		await listWhere(page, (s) => !s.includes('test bravo') && s.includes('test charlie'),
		    'bravo still listed');
		await openFolder(page, 'Archive');
		await listWhere(page, (s) => s.includes('test bravo'), 'bravo not in Archive');
	});
	await step(page, 'delete a message (to Trash)', async () => {
		await openFolder(page, 'INBOX');
		await listWhere(page, (s) => s.includes('test charlie'), 'charlie not listed');
		await selectRow(page, 'test charlie');
		await page.click('#toolbar-menu a.delete[aria-disabled="false"]');
		await listWhere(page, (s) => !s.includes('test charlie') && s.includes('test alpha'),
		    'charlie still listed');
		await openFolder(page, 'Trash');
		await listWhere(page, (s) => s.includes('test charlie'), 'charlie not in Trash');
	});
	await step(page, 'search the inbox', async () => {
		await openFolder(page, 'INBOX');
		await listWhere(page, (s) => s.includes('test alpha') && s.includes('test delta'),
		    'inbox not listed');
		await page.fill('#mailsearchform', 'delta');
		await page.press('#mailsearchform', 'Enter');
		await listWhere(page, (s) => s.length === 1 && s[0] === 'test delta',
		    'search did not narrow the list to delta');
		await page.click('#searchreset, a.reset');
		await listWhere(page, (s) => s.includes('test alpha') && s.includes('test delta'),
		    'reset did not restore the list');
	});
	await step(page, 'log out', async () => {
		await page.click('#taskmenu a.logout');
		await page.waitForSelector('#rcmloginuser');
		await page.goto(url + '/?_task=mail');
		await page.waitForSelector('#rcmloginuser');
	});
	await browser.close();
	return failed;
}

main().then((n) => process.exit(n ? 1 : 0), (e) => {
	console.log(`fail browser: ${String(e && e.message || e).split('\n')[0]}`);
	process.exit(2);
});
