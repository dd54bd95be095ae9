// Shared by the browser tests and the screenshot script: Chromium, the page under test, and
// direct calls to the local API for setting up data. Everything stays on loopback.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

export const WEB_URL = required('WEB_URL');
export const API_URL = required('API_URL');
/** The API's own local caller (TASKS_LOCAL_CALLER_ID in tools/web-test.sh): api() acts as it. */
export const DEFAULT_CALLER = 'web-test';
/** The app's localStorage key for its "Acting as" user id (web/src/session.ts). */
const LOCAL_CALLER_KEY = 'tasks.localCaller';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with tools/web-test.sh browser`);
  return value;
}

/** The Chromium of a browser test file, launched by its browserTests(). */
export let browser;

/** A browser test file's hooks: the API answering and Chromium launched first, an empty task
 * list before each test, its unfinished pages reported after it, Chromium closed last. */
export function browserTests() {
  before(async () => {
    await waitForApi();
    browser = await launch();
  });
  after(() => browser?.close());
  beforeEach(() => clearTasks());
  afterEach(reportUnfinished);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Names resolve to nothing but loopback: the browser cannot reach beyond this machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      '--no-proxy-server',
    ],
  });
}

/**
 * A fresh browser context with the page open on the app, in a fixed time zone and language,
 * acting as `caller` (stored as the app's "Acting as" choice before the first load, so the
 * app and api() see the same tasks; a later choice on the page is kept across reloads).
 * `problems` collects what must not happen: uncaught errors, console errors, CSP violations.
 * Chromium also logs every HTTP error response of a fetch ("Failed to load resource: …")
 * as a console error; for the API's own paths those are answers the tests ask for (400,
 * 412, 503…), checked by the tests themselves, so they are left out.
 */
export async function openApp(browser, { viewport = { width: 1000, height: 800 }, setup, expectedFailedLoads, caller = DEFAULT_CALLER } = {}) {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Paris', viewport });
  await context.addInitScript(
    ([key, id]) => {
      try {
        if (localStorage.getItem(key) === null) localStorage.setItem(key, id);
      } catch {} // about:blank has no storage
    },
    [LOCAL_CALLER_KEY, caller],
  );
  const page = await context.newPage();
  const problems = watch(page, expectedFailedLoads);
  if (setup) await setup(context, page);
  const app = { context, page, problems };
  opened.add(app);
  await page.goto(WEB_URL);
  return app;
}

const opened = new Set();

/** After a failed test: what its pages showed, then close them (call from afterEach). */
export async function reportUnfinished() {
  for (const app of opened) {
    opened.delete(app);
    try {
      for (const page of app.context.pages()) {
        console.log(`--- page ${page.url()} showed:\n${await page.locator('body').innerText({ timeout: 2000 })}`);
      }
      if (app.problems.length) console.log(`--- problems: ${app.problems.join('\n')}`);
    } catch (error) {
      console.log(`--- (could not read the page: ${error.message})`);
    }
    await app.context.close().catch(() => {});
  }
}

/** The API's own paths on the page's origin (CloudFront and Vite send them to the API). */
const isApi = (url) => url.origin === new URL(WEB_URL).origin && (url.pathname.startsWith('/tasks') || url.pathname === '/account');

function watch(page, expectedFailedLoads = isApi) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location()?.url ?? '';
    const expected = /^Failed to load resource/.test(message.text()) && expectedFailedLoads(new URL(url, WEB_URL));
    if (!expected) problems.push(`console error: ${message.text()} (${url})`);
  });
  return problems;
}

export async function finish(app) {
  const { context, problems } = app;
  opened.delete(app);
  await context.close();
  assert.deepEqual(problems, [], 'no console errors, uncaught errors or CSP violations');
}

/** Retries an assertion until it holds (the page updates asynchronously). */
export async function eventually(check, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((wake) => setTimeout(wake, 50));
    }
  }
}

export const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id ?? '', text: (el?.textContent ?? '').trim(), tag: el?.tagName ?? '' };
  });

// The local API directly (the tests' set-up and their view of what was stored), acting as
// DEFAULT_CALLER, or as another user with the headers as(caller).
export const as = (caller) => ({ 'X-Local-Caller': caller });

export async function api(method, path, body, headers = {}) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(API_URL + path, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const answer = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
    // `cargo lambda watch` itself now and then refuses a function's answer under concurrent
    // requests (its runtime API gives the function a 500 and the client this generic body,
    // never our problem type): a read of the tests' own is asked again. Not the app's requests,
    // and never a 500 of ours, whose `type` is the API's.
    const emulatorFailure = answer.status === 500 && answer.body?.type === 'https://httpstatuses.com/500';
    if (method !== 'GET' || !emulatorFailure || attempt === 3) return answer;
    await new Promise((wake) => setTimeout(wake, 200 * attempt));
  }
}

/**
 * Waits for `cargo lambda watch` to answer (its first request compiles the functions), then
 * wakes the other four functions with requests that change nothing (POST /account is a 405),
 * so that no test pays for a function's first start.
 */
export async function waitForApi(timeoutSeconds = 900) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    try {
      const { status } = await api('GET', '/tasks?limit=1');
      if (status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`the API at ${API_URL} did not answer within ${timeoutSeconds} s`);
    await new Promise((wake) => setTimeout(wake, 500));
  }
  const nobody = '/tasks/00000000-0000-4000-8000-000000000000';
  for (const [method, path, body, expected] of [
    ['POST', '/tasks', {}, 400],
    ['PATCH', nobody, { title: 'x' }, 404],
    ['DELETE', nobody, undefined, 404],
    ['POST', '/account', undefined, 405],
  ]) {
    const { status } = await api(method, path, body);
    assert.equal(status, expected, `${method} ${path} while waking the functions`);
  }
}

/** Every task of `caller` (or, with scope 'assigned', every task shared with them). */
export async function allTasks(caller = DEFAULT_CALLER, scope = 'owned') {
  const tasks = [];
  let token;
  do {
    const query = `/tasks?scope=${scope}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const { status, body } = await api('GET', query, undefined, as(caller));
    assert.equal(status, 200, JSON.stringify(body));
    tasks.push(...body.tasks);
    token = body.nextToken;
  } while (token);
  return tasks;
}

export async function clearTasks(caller = DEFAULT_CALLER) {
  for (const task of await allTasks(caller)) {
    const { status } = await api('DELETE', `/tasks/${task.taskId}`, undefined, as(caller));
    assert.equal(status, 200);
  }
}

/** Creates tasks as `caller` in order (the last is the newest), each a millisecond or more apart. */
export async function seed(tasks, caller = DEFAULT_CALLER) {
  const created = [];
  for (const task of tasks) {
    const { status, body } = await api('POST', '/tasks', task, as(caller));
    assert.equal(status, 201, JSON.stringify(body));
    created.push(body.task);
    await new Promise((wake) => setTimeout(wake, 3));
  }
  return created;
}

/** The list items' titles, top to bottom. */
export const titles = (page) => page.locator('ul.tasks > li h3').allTextContents();
export const item = (page, title) => page.locator('ul.tasks > li').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
