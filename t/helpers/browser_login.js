#!/usr/bin/env node
// A real browser through the whole login: headless Chromium (Debian's /usr/bin/chromium) driven
// by playwright-core opens URL, signs in on the provider's dev-interaction login page as USER,
// accepts the consent page, and waits until it is back on URL's origin.
//
//   node t/helpers/browser_login.js URL [--user alice] [--password x] [--timeout 30000]
//                                       [--screenshot-dir DIR] [--chromium /usr/bin/chromium]
//
// Success: prints one JSON line {"url", "status", "body", "steps"} (status of the last
// navigation response, body = the page's text) and exits 0. Failure: prints the error and the
// path of a screenshot, exits 1. Everything is bounded by --timeout (30 s). Only loopback
// addresses are reachable from the browser.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function parseArgs(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m) o[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
    else o._.push(argv[i]);
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
const startUrl = args._[0] || args.url;
const user = args.user || 'alice';
const password = args.password || 'any-password';
const timeout = Number(args.timeout || 30000);
const chromiumPath = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const shotDir = args['screenshot-dir'] || os.tmpdir();
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

let browser;
let page;

async function fail(err) {
  let shot = '(none)';
  try {
    if (page) {
      shot = path.join(shotDir, `browser-login-${process.pid}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: 4000 });
    }
  } catch (e) {
    shot = `(screenshot failed: ${e.message})`;
  }
  const text = String(err && err.stack ? err.stack : err).replace(/\x1b\[[0-9;]*m/g, '');
  console.log(`browser_login failed: ${text}`);
  if (page) console.log(`page url: ${page.url()}`);
  console.log(`screenshot: ${shot}`);
  try { if (browser) await browser.close(); } catch { /* exiting anyway */ }
  process.exit(1);
}

async function main() {
  if (!startUrl) throw new Error('usage: browser_login.js URL [--user NAME]');
  const origin = new URL(startUrl).origin;
  const deadline = Date.now() + timeout - 6000;   // the rest is for a screenshot
  const left = () => Math.max(1000, deadline - Date.now());

  const { chromium } = require('playwright-core');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: left(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-dev-shm-usage', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
  });
  const context = await browser.newContext();   // a fresh profile: no cookies, no cache
  // nothing leaves the loopback interface
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return LOOPBACK.has(host) || host === '::1' ? route.continue() : route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.setDefaultTimeout(left());

  let last = null;   // the main frame's last navigation response
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) last = r;
  });

  const steps = [];
  await page.goto(startUrl, { waitUntil: 'load', timeout: left() });
  for (let i = 0; i < 6; i++) {
    const here = new URL(page.url());
    const login = page.locator('form input[name="login"]');
    const consent = page.locator('form input[name="prompt"][value="consent"]');
    if (await login.count()) {
      steps.push('login');
      await login.fill(user);
      await page.locator('form input[name="password"]').fill(password);
      await Promise.all([
        page.waitForURL((u) => u.href !== here.href, { timeout: left() }),
        page.locator('form button[type="submit"]').first().click(),
      ]);
    } else if (await consent.count()) {
      steps.push('consent');
      await Promise.all([
        page.waitForURL((u) => u.href !== here.href, { timeout: left() }),
        page.locator('form button[type="submit"]').first().click(),
      ]);
    } else if (here.origin === origin) {
      break;
    } else {
      throw new Error(`stuck at ${here.href}: neither a login nor a consent page`);
    }
    await page.waitForLoadState('load', { timeout: left() });
  }
  if (new URL(page.url()).origin !== origin) {
    throw new Error(`did not come back to ${origin}; at ${page.url()}`);
  }
  const body = await page.locator('body').innerText({ timeout: left() });
  console.log(JSON.stringify({ url: page.url(), status: last ? last.status() : null, body, steps }));
  await browser.close();
  process.exit(0);
}

// the whole run: steps until timeout - 6 s, a screenshot within 4 s, a hard exit at timeout
setTimeout(() => fail(new Error(`timed out after ${timeout - 5000} ms`)), timeout - 5000).unref();
setTimeout(() => { console.log('browser_login: hard timeout'); process.exit(1); }, timeout).unref();
fs.mkdirSync(shotDir, { recursive: true });
main().catch(fail);
