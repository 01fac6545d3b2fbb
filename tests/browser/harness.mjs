// Shared set-up of the browser tests: the servers started by run.sh, a headless Chromium with
// the flags this sandbox needs, and page helpers (console errors, XSS traps, mocked API replies).

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = process.env.FACTCHECK_URL;
export const XSS_BASE = process.env.FACTCHECK_XSS_URL;
if (!BASE) throw new Error('FACTCHECK_URL is not set: run the tests through tests/browser/run.sh');

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/**
 * Whether the server has the answer API (`POST /v1/ask`, `/v1/check`). A build without it
 * answers 404 `not_found`; the tests that need real answers are then skipped, not failed.
 */
async function hasAnswerApi(base) {
  try {
    const r = await fetch(`${base}/v1/ask`, { method: 'POST', body: '{}' });
    return r.status !== 404 && r.status !== 405;
  } catch (_) {
    return false;
  }
}

/** `false`, or the reason the tests that need real answers are skipped. */
export const NO_ANSWERS = (await hasAnswerApi(BASE))
  ? false
  : 'this build has no POST /v1/ask (the answer API is not merged yet)';

/** Starts Chromium (system package; playwright-core never downloads a browser). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh page (its own context: storage starts empty) that records console errors, page
 * errors and dialogs. `problems()` lists them; an XSS payload that ran shows up there.
 */
export async function openPage(browser, { base = BASE, locale = 'ko-KR', colorScheme = 'light', viewport } = {}) {
  const context = await browser.newContext({
    locale,
    colorScheme,
    viewport: viewport || { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    // Non-2xx API replies are logged by the browser as "Failed to load resource"; those are
    // expected in error tests. Anything else (script errors, CSP refusals) is a problem.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(base + '/');
  await page.waitForSelector('#health[data-state]:not([data-state="loading"])');
  return { page, context, problems, close: () => context.close() };
}

/** Types `text` into the composer and sends it with Enter. */
export async function send(page, text, mode = 'auto') {
  await page.check(`input[name="mode"][value="${mode}"]`);
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

/**
 * Waits until the last exchange has finished (answer or error) and returns a locator of the
 * last exchange (a live locator: after another send it points at the newer one).
 */
export async function lastExchange(page, timeout = 30000) {
  await page.waitForFunction(
    () => {
      const all = document.querySelectorAll('#log > .exchange');
      const last = all[all.length - 1];
      return last && (last.dataset.status === 'done' || last.dataset.status === 'error');
    },
    null,
    { timeout },
  );
  return page.locator('#log > .exchange').last();
}

/** A Server-Sent Events body from `[event, data]` pairs (data objects become JSON). */
export function sse(events) {
  return events
    .map(([event, data]) => {
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      return `event: ${event}\n` + payload.split('\n').map((l) => `data: ${l}`).join('\n') + '\n\n';
    })
    .join('');
}

/** Makes `POST path` answer with the given SSE events (the real server is not called). */
export async function mockStream(page, path, events) {
  await page.route(`**${path}`, (route) =>
    route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: sse(events) }),
  );
}

/** Elements that markup in a payload could have created inside the conversation and panel. */
export async function injectedElements(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#log, #panel')].flatMap((root) =>
      [...root.querySelectorAll('img, script, svg, iframe, object, embed, style, link, [onerror], [onload], [onclick]')].map(
        (e) => e.outerHTML.slice(0, 120),
      ),
    ),
  );
}
