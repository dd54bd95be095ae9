// Sharing a task with its assignee, in Chromium against make dev's stack: the owner's page
// acts as the API's local caller (web-test), and the assignee's page, in a browser context of
// its own, acts as another user id through the app's "Acting as" (X-Local-Caller). Each test
// uses fresh assignee ids, and starts from an empty list for the owner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  api,
  as,
  browser,
  browserTests,
  clearTasks,
  DEFAULT_CALLER,
  eventually,
  finish,
  focused,
  item,
  openApp,
  seed,
  titles,
  WEB_URL,
} from './helpers.mjs';

browserTests();

/** A user id that no other test uses. */
const user = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;
const buttonNames = (row) => row.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.textContent.trim()));
const showAssigned = (page) => page.getByRole('radio', { name: 'Assigned to me' }).check();

test('the owner assigns a task in its edit dialog (not to themselves); the assignee sees it under “Assigned to me”, with only Complete and Decline, and completes it', async () => {
  const bob = user('bob');
  const [task] = await seed([{ title: 'Water the plants' }]);
  const owner = await openApp(browser);
  const o = owner.page;
  const row = item(o, 'Water the plants');
  await row.waitFor();
  assert.equal(await o.locator('#my-id').textContent(), DEFAULT_CALLER, 'the page shows whom it acts as');
  assert.doesNotMatch(await row.innerText(), /Assigned to/);

  await row.getByRole('button', { name: 'Edit “Water the plants”' }).click();
  const dialog = o.getByRole('dialog', { name: 'Edit task' });
  const field = dialog.getByLabel('Assignee (user id)');
  assert.equal(await field.inputValue(), '');
  // Not to themselves: the API's 400, next to the field.
  await field.fill(DEFAULT_CALLER);
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('#edit-assignee-error').waitFor();
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.match(await field.getAttribute('aria-describedby'), /edit-assignee-error/);
  assert.equal((await focused(o)).id, 'edit-assignee', 'focus on the field in error');

  const sent = o.waitForRequest((r) => r.method() === 'PATCH');
  await field.fill(bob);
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  const request = await sent;
  assert.deepEqual(request.postDataJSON(), { assignee: bob }, 'only the assignee is sent');
  assert.equal(request.headers()['if-match'], '"1"');
  assert.equal(request.headers()['x-local-caller'], DEFAULT_CALLER);
  await dialog.waitFor({ state: 'detached' });
  assert.match(await row.innerText(), new RegExp(`Assigned to ${bob}`));

  // The assignee, in a browser of their own: nothing of theirs, one task shared with them.
  const assignee = await openApp(browser, { caller: bob });
  const a = assignee.page;
  await a.getByText('No tasks yet.').waitFor();
  assert.equal(await a.locator('#my-id').textContent(), bob);
  const listed = a.waitForRequest((r) => new URL(r.url()).pathname === '/tasks');
  await showAssigned(a);
  assert.equal(new URL((await listed).url()).searchParams.get('scope'), 'assigned');
  const shared = item(a, 'Water the plants');
  await shared.waitFor();
  assert.ok((await a.getByRole('list', { name: 'All tasks assigned to you, newest first' }).count()) === 1);
  assert.match(await shared.innerText(), new RegExp(`Shared with you by ${DEFAULT_CALLER}`));
  assert.deepEqual(await buttonNames(shared), ['Complete “Water the plants”', 'Decline “Water the plants”'], 'no Edit, no Delete');

  await shared.getByRole('button', { name: 'Complete “Water the plants”' }).click();
  await shared.getByRole('button', { name: 'Reopen “Water the plants”' }).waitFor();
  await a.getByRole('status').filter({ hasText: '“Water the plants” completed' }).waitFor();
  const stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.status, 'completed');
  assert.equal(stored.assignee, bob);
  assert.equal(stored.ownerId, DEFAULT_CALLER);

  // The status filter works on this list too.
  await a.getByRole('radio', { name: 'Pending' }).check();
  await a.getByText('No pending tasks are assigned to you.').waitFor();
  await a.getByRole('radio', { name: 'Completed' }).check();
  await item(a, 'Water the plants').waitFor();

  await o.reload();
  await eventually(async () => assert.match(await item(o, 'Water the plants').innerText(), /Completed[\s\S]*Assigned to/));
  await item(o, 'Water the plants').getByRole('button', { name: 'Reopen “Water the plants”' }).waitFor();
  await finish(owner);
  await finish(assignee);
});

test('the assignee declines a task: confirmed, it leaves their list, and its owner sees it unassigned', async () => {
  const bob = user('bob');
  const [fence, shed] = await seed([
    { title: 'Fix the fence', assignee: bob },
    { title: 'Paint the shed', assignee: bob },
  ]);
  const assignee = await openApp(browser, { caller: bob });
  const a = assignee.page;
  await showAssigned(a);
  await eventually(async () => assert.deepEqual(await titles(a), ['Paint the shed', 'Fix the fence']));

  const decline = item(a, 'Paint the shed').getByRole('button', { name: 'Decline “Paint the shed”' });
  await decline.click();
  const confirm = a.getByRole('alertdialog', { name: 'Decline this task?' });
  assert.match(await confirm.innerText(), /“Paint the shed” will no longer be shared with you/);
  assert.equal((await focused(a)).text, 'Cancel', 'the safe choice has focus');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  await eventually(async () => assert.equal((await focused(a)).id, `task-${shed.taskId}-decline`), 2000);

  await decline.click();
  const sent = a.waitForRequest((r) => r.method() === 'PATCH');
  await confirm.getByRole('button', { name: 'Decline task' }).click();
  const request = await sent;
  assert.deepEqual(request.postDataJSON(), { assignee: null });
  assert.equal(request.headers()['if-match'], '"1"');
  assert.equal(request.headers()['x-local-caller'], bob);
  await confirm.waitFor({ state: 'detached' });
  await a.getByRole('status').filter({ hasText: 'You declined “Paint the shed”; it is no longer shared with you' }).waitFor();
  assert.deepEqual(await titles(a), ['Fix the fence']);
  await eventually(async () => assert.equal((await focused(a)).text, 'Fix the fence'));

  assert.equal((await api('GET', `/tasks/${shed.taskId}`, undefined, as(bob))).status, 404, 'the assignee lost access');
  const stored = (await api('GET', `/tasks/${shed.taskId}`)).body.task;
  assert.equal(stored.assignee, null);
  assert.equal((await api('GET', `/tasks/${fence.taskId}`, undefined, as(bob))).status, 200);

  const owner = await openApp(browser);
  const o = owner.page;
  await item(o, 'Paint the shed').waitFor();
  assert.doesNotMatch(await item(o, 'Paint the shed').innerText(), /Assigned to/, 'unassigned');
  assert.match(await item(o, 'Fix the fence').innerText(), new RegExp(`Assigned to ${bob}`));
  await finish(assignee);
  await finish(owner);
});

test('losing access: after the owner reassigns a task, the old assignee’s next action says it is no longer shared and drops it', async () => {
  const bob = user('bob');
  const carol = user('carol');
  const [task] = await seed([{ title: 'Move the car', assignee: bob }]);
  const assignee = await openApp(browser, { caller: bob });
  const a = assignee.page;
  await showAssigned(a);
  const row = item(a, 'Move the car');
  await row.waitFor();

  const { status } = await api('PATCH', `/tasks/${task.taskId}`, { assignee: carol });
  assert.equal(status, 200);
  await row.getByRole('button', { name: 'Complete “Move the car”' }).click();
  await a.getByRole('status').filter({ hasText: '“Move the car” is no longer shared with you' }).waitFor();
  await row.waitFor({ state: 'detached' });
  await a.getByText('No tasks are assigned to you.').waitFor();
  const stored = (await api('GET', `/tasks/${task.taskId}`, undefined, as(carol))).body.task;
  assert.equal(stored.status, 'pending', 'the refused change was not applied');
  assert.equal(stored.assignee, carol);
  await finish(assignee);
});

test('“Assigned to me” keeps the status filter and “Load more” (scope and nextToken together)', async () => {
  const bob = user('bob');
  const names = Array.from({ length: 22 }, (_, i) => `Shared ${String(i + 1).padStart(2, '0')}`);
  await seed([{ title: 'Not shared' }, ...names.map((title, i) => ({ title, assignee: bob, status: i < 2 ? 'completed' : 'pending' }))]);
  const assignee = await openApp(browser, { caller: bob });
  const a = assignee.page;
  await a.getByText('No tasks yet.').waitFor();
  const requests = [];
  a.on('request', (r) => r.url().includes('/tasks?') && requests.push(new URL(r.url()).searchParams));
  await showAssigned(a);
  const newestFirst = [...names].reverse();
  await eventually(async () => assert.deepEqual(await titles(a), newestFirst.slice(0, 20)));
  await a.getByRole('button', { name: 'Load more' }).click();
  await eventually(async () => assert.deepEqual(await titles(a), newestFirst));
  assert.equal(requests.at(-1).get('scope'), 'assigned');
  assert.ok(requests.at(-1).get('nextToken'));

  await a.getByRole('radio', { name: 'Completed' }).check();
  await eventually(async () => assert.deepEqual(await titles(a), ['Shared 02', 'Shared 01']));
  assert.equal(requests.at(-1).get('scope'), 'assigned');
  assert.equal(requests.at(-1).get('status'), 'completed');
  await a.getByRole('radio', { name: 'My tasks' }).check();
  await a.getByText('No completed tasks.').waitFor();
  assert.equal(requests.at(-1).get('scope'), null, 'My tasks is the default scope');
  await finish(assignee);
});

test('“Acting as” (local only): the chosen user id is sent as X-Local-Caller on every call, remembered, and can be copied', async () => {
  await seed([{ title: 'A task of web-test' }]);
  const app = await openApp(browser);
  const { page, context } = app;
  await item(page, 'A task of web-test').waitFor();
  const acting = page.getByLabel('Acting as');
  assert.equal(await acting.inputValue(), DEFAULT_CALLER);

  const carol = user('carol');
  // From the switch on: before it, a live update may still re-read the list as web-test.
  const callers = [];
  let switched = false;
  page.on('request', (r) => switched && new URL(r.url()).pathname.startsWith('/tasks') && callers.push(r.headers()['x-local-caller']));
  await acting.fill(carol);
  switched = true;
  await page.getByRole('button', { name: 'Switch' }).click();
  await page.getByText('No tasks yet.').waitFor();
  await page.getByRole('status').filter({ hasText: `Now acting as ${carol}` }).waitFor();
  assert.equal(await page.locator('#my-id').textContent(), carol);

  await page.getByRole('button', { name: 'Create your first task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill('A task of carol');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(callers.length > 1 && [...new Set(callers)], [carol], 'every call acted as carol');
  const { body } = await api('GET', '/tasks', undefined, as(carol));
  assert.deepEqual(body.tasks.map((t) => [t.title, t.ownerId]), [['A task of carol', carol]]);

  await page.reload();
  await item(page, 'A task of carol').waitFor();
  assert.equal(await page.getByLabel('Acting as').inputValue(), carol, 'remembered');

  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: WEB_URL });
  await page.getByRole('button', { name: 'Copy your user id' }).click();
  await page.getByRole('status').filter({ hasText: 'Your user id is copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), carol);
  await clearTasks(carol);
  await finish(app);
});
