// "Your account" (#25), in Chromium against make dev's stack: "Download my data" (every page of
// both listings in one JSON file, checked against the API) and "Delete my account" (a
// confirmation that names what will be lost, then DELETE /account, which locally purges at
// once). Each test acts as fresh user ids (X-Local-Caller), so nothing of web-test is touched.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { allTasks, api, as, browser, browserTests, eventually, finish, focused, item, openApp, seed } from './helpers.mjs';

browserTests();

/** A user id that no other test uses. */
const user = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

/** Creates `count` tasks as `caller`, a few requests at a time (order does not matter here). */
async function many(count, caller, make) {
  const created = [];
  for (let start = 0; start < count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start) }, (_, i) => make(start + i));
    created.push(...(await Promise.all(batch.map((task) => seed([task], caller).then(([t]) => t)))));
  }
  return created;
}

/** Today's date in the tests' browser time zone (openApp: Europe/Paris), as YYYY-MM-DD. */
const parisDate = (at = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(at);

test('“Download my data”: every page of both scopes (over 100 tasks in each) in one JSON file named with the date, the same tasks and fields as the API', async () => {
  const dana = user('dana');
  const erin = user('erin');
  // 101 of dana’s own (some with every field, one shared with erin), 101 shared with dana by erin.
  await many(101, dana, (i) => ({
    title: `Dana ${String(i).padStart(3, '0')}`,
    ...(i % 10 === 0 && {
      description: `Line one\nline “two” ${i}`,
      priority: 'high',
      status: 'in_progress',
      dueDate: '2031-05-06T07:08:00Z',
      tags: ['export', `n${i}`],
    }),
    ...(i === 7 && { assignee: erin }),
  }));
  await many(101, erin, (i) => ({ title: `Erin ${String(i).padStart(3, '0')}`, assignee: dana, ...(i === 3 && { status: 'completed' }) }));

  const app = await openApp(browser, { caller: dana });
  const { page } = app;
  await item(page, 'Dana 100').waitFor();
  // The download's listings (limit=100); live updates may re-read the page's own list meanwhile.
  const lists = [];
  page.on('request', (r) => new URL(r.url()).pathname === '/tasks' && new URL(r.url()).searchParams.has('limit') && lists.push(new URL(r.url()).searchParams));
  const before = new Date();
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download my data' }).click();
  const download = await downloaded;
  const after = new Date();
  await page.getByRole('status').filter({ hasText: 'Your data is downloaded: 101 tasks of yours, 101 tasks shared with you' }).waitFor();
  assert.ok([parisDate(before), parisDate(after)].map((d) => `tasks-export-${d}.json`).includes(download.suggestedFilename()), download.suggestedFilename());
  const file = JSON.parse(await readFile(await download.path(), 'utf8'));

  assert.deepEqual(Object.keys(file), ['exportedAt', 'userId', 'owned', 'assigned']);
  assert.equal(file.userId, dana);
  assert.match(file.exportedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339, UTC');
  const exportedAt = Date.parse(file.exportedAt);
  assert.ok(exportedAt >= before.getTime() - 1000 && exportedAt <= after.getTime(), file.exportedAt);
  // The same tasks, field for field, in the API's order (newest first).
  assert.deepEqual(file.owned, await allTasks(dana, 'owned'));
  assert.deepEqual(file.assigned, await allTasks(dana, 'assigned'));
  assert.equal(file.owned.length, 101);
  assert.equal(file.assigned.length, 101);
  assert.ok(file.owned.every((t) => t.ownerId === dana));
  assert.ok(file.assigned.every((t) => t.ownerId === erin && t.assignee === dana));
  assert.equal(file.owned.find((t) => t.title === 'Dana 007').assignee, erin);
  assert.deepEqual(file.owned.find((t) => t.title === 'Dana 010').tags, ['export', 'n10']);

  // Pages of 100, each scope named, nextToken followed until a page has none.
  const sent = lists.map((q) => [q.get('scope'), q.get('limit'), q.has('nextToken')]);
  assert.deepEqual(sent, [
    ['owned', '100', false],
    ['owned', '100', true],
    ['assigned', '100', false],
    ['assigned', '100', true],
  ]);
  assert.equal((await focused(page)).text, 'Download my data', 'focus stays on the button');
  await finish(app);
  for (const caller of [dana, erin]) assert.equal((await api('DELETE', '/account', undefined, as(caller))).status, 202);
});

test('“Download my data” that fails says so quietly and downloads nothing', async () => {
  const dana = user('dana');
  await seed([{ title: 'One task' }], dana);
  const app = await openApp(browser, { caller: dana });
  const { page } = app;
  await item(page, 'One task').waitFor();
  await page.route(
    (url) => url.pathname === '/tasks' && url.searchParams.get('scope') === 'assigned',
    (route) => route.fulfill({ status: 500, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Internal error', status: 500, detail: 'Something broke.' }) }),
  );
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.getByRole('button', { name: 'Download my data' }).click();
  await page.getByRole('status').filter({ hasText: 'Your data could not be downloaded. Internal error: Something broke.' }).waitFor();
  await page.getByRole('button', { name: 'Download my data' }).waitFor();
  assert.equal(downloads, 0);
  await finish(app);
  assert.equal((await api('DELETE', '/account', undefined, as(dana))).status, 202);
});

test('“Delete my account”: the confirmation names what will be lost; Cancel keeps everything; a 503 says to retry; confirmed, the data is gone and the shared task’s owner keeps it', async () => {
  const frank = user('frank');
  const gina = user('gina');
  const mine = await seed([{ title: 'Frank 1' }, { title: 'Frank 2', assignee: gina }, { title: 'Frank 3' }], frank);
  const [theirs] = await seed([{ title: 'Gina shares', assignee: frank }], gina);
  const app = await openApp(browser, { caller: frank });
  const { page } = app;
  await item(page, 'Frank 3').waitFor();

  const open = page.getByRole('button', { name: 'Delete my account', exact: true });
  await open.click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete your account?' });
  await dialog.getByText('The 3 tasks you own will be deleted, also for whoever they are shared with.').waitFor();
  const text = await dialog.innerText();
  assert.match(text, /You will be removed from the 1 task shared with you; their owners keep them\./);
  assert.match(text, /This cannot be undone\./);
  assert.match(text, /Download your data first/);
  await dialog.getByRole('button', { name: 'Download my data' }).waitFor();
  assert.equal((await focused(page)).text, 'Cancel', 'the safe choice has focus');

  // Cancel: nothing sent, everything kept.
  const deletes = [];
  page.on('request', (r) => new URL(r.url()).pathname === '/account' && deletes.push(r));
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually(async () => assert.equal((await focused(page)).id, 'delete-account'), 2000);
  assert.equal(deletes.length, 0);
  assert.equal((await allTasks(frank)).length, 3);
  assert.equal((await api('GET', `/tasks/${theirs.taskId}`, undefined, as(gina))).body.task.assignee, frank);

  // Not without the box ticked; a 503 (after the client's own retries) says to try again.
  await open.click();
  await dialog.getByText('The 3 tasks you own').waitFor();
  const confirm = dialog.getByRole('button', { name: 'Delete my account for good' });
  assert.equal(await confirm.getAttribute('aria-disabled'), 'true');
  await confirm.click({ force: true }); // aria-disabled: a person can still press it
  await dialog.getByText('Tick the box above to confirm.').waitFor();
  assert.equal(deletes.length, 0, 'nothing sent before the box is ticked');
  await dialog.getByLabel('I understand: delete my account and the 3 tasks I own, for good').check();
  await page.route('**/account', (route) =>
    route.fulfill({ status: 503, headers: { 'Retry-After': '0' }, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503 }) }),
  );
  await confirm.click();
  await dialog.getByRole('alert').filter({ hasText: 'The service is busy, so your account was not deleted yet. Please try again in a moment: asking again is always safe.' }).waitFor();
  assert.equal(deletes.length, 4, 'sent once and retried three times');
  assert.equal((await allTasks(frank)).length, 3, 'nothing deleted');
  await page.unroute('**/account');

  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/account');
  await confirm.click();
  const response = await answered;
  assert.equal(response.status(), 202);
  assert.deepEqual(await response.json(), { status: 'deleting' });
  assert.equal(response.request().method(), 'DELETE');
  assert.equal(response.request().headers()['x-local-caller'], frank);
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `The data of ${frank} was deleted: 3 tasks of yours` }).waitFor();
  await page.getByText('No tasks yet.').waitFor();
  await eventually(async () => assert.equal((await focused(page)).id, 'new-task'), 2000);

  assert.deepEqual(await allTasks(frank, 'owned'), [], 'every owned task deleted');
  assert.deepEqual(await allTasks(frank, 'assigned'), [], 'no task shared with them');
  const kept = (await api('GET', `/tasks/${theirs.taskId}`, undefined, as(gina))).body.task;
  assert.equal(kept.assignee, null, 'the owner keeps the shared task, without the deleted user');
  assert.equal(kept.title, 'Gina shares');
  assert.equal((await api('GET', `/tasks/${mine[1].taskId}`, undefined, as(gina))).status, 404, 'a task they shared is gone for its assignee');
  await page.getByRole('radio', { name: 'Assigned to me' }).check();
  await page.getByText('No tasks are assigned to you.').waitFor();
  await finish(app);
  assert.equal((await api('DELETE', '/account', undefined, as(gina))).status, 202);
});
