// The app in Chromium against make dev's stack (tools/web-test.sh browser): the built app
// behind vite preview, /tasks proxied to cargo lambda watch and a fresh dynalite. Each test
// starts from an empty task list and a fresh browser context, and ends by checking that the
// page logged no error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allTasks,
  api,
  browser,
  browserTests,
  eventually,
  finish,
  focused,
  item,
  openApp,
  seed,
  titles,
} from './helpers.mjs';

browserTests();

test('create: the new task comes first with its priority, tags and due date in the user’s time zone; focus moves to it', async () => {
  await seed([{ title: 'Older task' }]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'Older task').waitFor();

  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.waitFor();
  assert.equal((await focused(page)).id, 'create-title', 'focus starts in the title field');
  await dialog.getByLabel('Title').fill('Write report');
  await dialog.getByLabel('Description').fill('Quarterly numbers');
  await dialog.getByLabel('Priority').selectOption('high');
  await dialog.getByLabel('Due').fill('2030-01-01T09:00');
  await dialog.getByLabel('Tags').fill('work, q4-report');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.waitFor({ state: 'detached' });

  assert.deepEqual(await titles(page), ['Write report', 'Older task'], 'newest first');
  const created = item(page, 'Write report');
  const text = await created.innerText();
  assert.match(text, /High priority/);
  assert.match(text, /Pending/);
  assert.match(text, /Due 1 Jan 2030, 09:00 CET/, 'the due date in Europe/Paris');
  assert.match(text, /Quarterly numbers/);
  assert.deepEqual(await created.locator('.tags li').allTextContents(), ['work', 'q4-report']);
  await eventually(async () => assert.equal((await focused(page)).text, 'Write report'));
  await page.getByRole('status').filter({ hasText: '“Write report” created' }).waitFor();

  const [stored] = await allTasks();
  assert.equal(stored.dueDate, '2030-01-01T08:00:00.000Z', 'sent as 09:00 in Paris, stored in UTC');
  assert.deepEqual(stored.tags, ['work', 'q4-report']);
  await finish(app);
});

test('a validation error (400) is shown next to each field it names, and focus goes to the first', async () => {
  const app = await openApp(browser);
  const { page } = app;
  await page.getByText('No tasks yet.').waitFor();
  await page.getByRole('button', { name: 'Create your first task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill('   ');
  await dialog.getByLabel('Tags').fill('Work urgent');
  await dialog.getByRole('button', { name: 'Create task' }).click();

  const titleError = dialog.locator('#create-title-error');
  await titleError.waitFor();
  assert.equal(await titleError.textContent(), 'Must be 1 to 200 characters');
  assert.match(await dialog.locator('#create-tags-error').textContent(), /Tag “Work” must be 1 to 32 characters of a-z, 0-9, - and _/);
  const title = dialog.getByLabel('Title');
  assert.equal(await title.getAttribute('aria-invalid'), 'true');
  assert.match(await title.getAttribute('aria-describedby'), /create-title-error/);
  assert.equal(await dialog.getByLabel('Description').getAttribute('aria-invalid'), null, 'only the named fields are marked');
  assert.equal((await focused(page)).id, 'create-title', 'focus on the first field in error');
  assert.deepEqual(await allTasks(), [], 'nothing was created');

  await title.fill('Valid title');
  await dialog.getByLabel('Tags').fill('work urgent');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(await titles(page), ['Valid title']);
  await finish(app);
});

test('the status filter lists only the tasks with that status, newest first; empty states say so', async () => {
  await seed([
    { title: 'First pending', status: 'pending' },
    { title: 'Started', status: 'in_progress' },
    { title: 'Done already', status: 'completed' },
    { title: 'Second pending', status: 'pending' },
  ]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'Second pending').waitFor();
  assert.deepEqual(await titles(page), ['Second pending', 'Done already', 'Started', 'First pending']);

  const show = async (label, expected) => {
    await page.getByRole('radio', { name: label }).check();
    await eventually(async () => assert.deepEqual(await titles(page), expected));
  };
  await show('Pending', ['Second pending', 'First pending']);
  await show('In progress', ['Started']);
  await show('Completed', ['Done already']);
  await show('All', ['Second pending', 'Done already', 'Started', 'First pending']);
  assert.ok(
    (await page.getByRole('list', { name: 'All tasks, newest first' }).count()) === 1,
    'the list is named after its filter',
  );

  await api('DELETE', `/tasks/${(await allTasks()).find((t) => t.status === 'in_progress').taskId}`);
  await page.getByRole('radio', { name: 'In progress' }).check();
  await page.getByText('No in progress tasks.').waitFor();
  await finish(app);
});

test('“Load more” fetches the next page with nextToken, keeping the filter; focus goes to the first new task', async () => {
  const names = Array.from({ length: 25 }, (_, i) => `Task ${String(i + 1).padStart(2, '0')}`);
  await seed(names.map((title) => ({ title })));
  await seed([{ title: 'Done 1', status: 'completed' }, { title: 'Done 2', status: 'completed' }]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'Done 2').waitFor();
  const newestFirst = ['Done 2', 'Done 1', ...[...names].reverse()];
  assert.deepEqual(await titles(page), newestFirst.slice(0, 20), 'a page of 20');

  const requests = [];
  page.on('request', (r) => r.url().includes('/tasks?') && requests.push(new URL(r.url()).searchParams));
  await page.getByRole('button', { name: 'Load more' }).click();
  await eventually(async () => assert.deepEqual(await titles(page), newestFirst));
  assert.ok(requests.at(-1).get('nextToken'), 'the second page was asked for with nextToken');
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');
  await eventually(async () => assert.equal((await focused(page)).text, newestFirst[20]));

  await page.getByRole('radio', { name: 'Pending' }).check();
  await eventually(async () => assert.deepEqual(await titles(page), newestFirst.slice(2, 22)));
  await page.getByRole('button', { name: 'Load more' }).click();
  await eventually(async () => assert.deepEqual(await titles(page), newestFirst.slice(2)));
  assert.equal(requests.at(-1).get('status'), 'pending', 'the next page keeps the filter');
  await finish(app);
});

test('edit: the form starts from the task, sends only the changed fields with If-Match, and shows the result', async () => {
  const [task] = await seed([{ title: 'Draft plan', priority: 'low', tags: ['draft'], dueDate: '2030-06-01T10:00:00Z' }]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'Draft plan').getByRole('button', { name: 'Edit “Draft plan”' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit task' });
  assert.equal(await dialog.getByLabel('Title').inputValue(), 'Draft plan');
  assert.equal(await dialog.getByLabel('Priority').inputValue(), 'low');
  assert.equal(await dialog.getByLabel('Due').inputValue(), '2030-06-01T12:00', '10:00 UTC is 12:00 in Paris in June');
  assert.equal(await dialog.getByLabel('Tags').inputValue(), 'draft');

  const sent = page.waitForRequest((r) => r.method() === 'PATCH');
  await dialog.getByLabel('Title').fill('Final plan');
  await dialog.getByLabel('Priority').selectOption('high');
  await dialog.getByLabel('Due').fill('');
  await dialog.getByLabel('Tags').fill('planning q3');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  const request = await sent;
  assert.deepEqual(request.postDataJSON(), { title: 'Final plan', priority: 'high', dueDate: null, tags: ['planning', 'q3'] });
  assert.equal(request.headers()['if-match'], '"1"');
  await dialog.waitFor({ state: 'detached' });

  const edited = item(page, 'Final plan');
  const text = await edited.innerText();
  assert.match(text, /High priority/);
  assert.doesNotMatch(text, /Due/);
  assert.match(text, /Version 2/);
  await eventually(async () => assert.equal((await focused(page)).text, 'Final plan'));
  const stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.title, 'Final plan');
  assert.equal(stored.dueDate, null);

  // Saving with nothing changed sends nothing.
  await edited.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('dialog', { name: 'Edit task' }).getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Nothing changed' }).waitFor();
  assert.equal((await api('GET', `/tasks/${task.taskId}`)).body.task.version, 2);
  await finish(app);
});

test('a conflict made from a second page (412): the first page shows the current version, and reapplies or discards', async () => {
  const [task] = await seed([{ title: 'Shared task', description: 'start' }]);
  const first = await openApp(browser);
  const second = await openApp(browser);
  const a = first.page;
  const b = second.page;

  const edit = async (page, changes) => {
    await item(page, (await page.locator('ul.tasks h3').first().textContent()).trim()).getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit task' });
    for (const [label, value] of Object.entries(changes)) {
      if (label === 'Priority') await dialog.getByLabel(label).selectOption(value);
      else await dialog.getByLabel(label).fill(value);
    }
    return dialog;
  };

  // Reapply: A's title goes onto the version B saved, keeping B's priority.
  const dialogA = await edit(a, { Title: 'Title from A' });
  const dialogB = await edit(b, { Priority: 'high' });
  await dialogB.getByRole('button', { name: 'Save changes' }).click();
  await dialogB.waitFor({ state: 'detached' });
  await dialogA.getByRole('button', { name: 'Save changes' }).click();
  const conflict = a.getByRole('alertdialog', { name: 'This task changed elsewhere' });
  await conflict.waitFor();
  const text = await conflict.innerText();
  assert.match(text, /now at version 2/);
  assert.match(text, /you had version 1/);
  assert.match(text, /Title\s+Title from A\s+Shared task/, 'your change next to the current value');
  assert.match(await item(a, 'Shared task').innerText(), /High priority/, 'the list behind already shows the current version');
  assert.equal((await focused(a)).text, 'Apply my changes to version 2');
  await conflict.getByRole('button', { name: 'Apply my changes to version 2' }).click();
  await conflict.waitFor({ state: 'detached' });
  let stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.title, 'Title from A');
  assert.equal(stored.priority, 'high', 'the other page’s change is kept');
  assert.equal(stored.version, 3);
  assert.match(await item(a, 'Title from A').innerText(), /Version 3/);

  // Discard: A's description is dropped; B's stays, and A's list shows it.
  await b.reload();
  const dialogA2 = await edit(a, { Description: 'notes from A' });
  const dialogB2 = await edit(b, { Description: 'notes from B' });
  await dialogB2.getByRole('button', { name: 'Save changes' }).click();
  await dialogB2.waitFor({ state: 'detached' });
  await dialogA2.getByRole('button', { name: 'Save changes' }).click();
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /now at version 4/);
  await conflict.getByRole('button', { name: 'Discard my changes' }).click();
  await conflict.waitFor({ state: 'detached' });
  stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.description, 'notes from B');
  assert.equal(stored.version, 4);
  assert.match(await item(a, 'Title from A').innerText(), /notes from B/);
  await eventually(async () => assert.equal((await focused(a)).id, `task-${task.taskId}-edit`));
  await finish(first);
  await finish(second);
});

test('complete and reopen: status, completedAt and the button follow; a stale version asks first', async () => {
  const [task] = await seed([{ title: 'Pay invoice' }]);
  const app = await openApp(browser);
  const { page } = app;
  const row = item(page, 'Pay invoice');
  await row.getByRole('button', { name: 'Complete “Pay invoice”' }).click();
  await row.getByRole('button', { name: 'Reopen “Pay invoice”' }).waitFor();
  assert.match(await row.innerText(), /Completed\s+\d{1,2} \w{3} \d{4}, \d{2}:\d{2} CE/, 'completedAt shown');
  assert.equal((await focused(page)).id, `task-${task.taskId}-toggle`, 'focus stays on the button');
  let stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.status, 'completed');
  assert.ok(stored.completedAt);

  await row.getByRole('button', { name: 'Reopen “Pay invoice”' }).click();
  await row.getByRole('button', { name: 'Complete “Pay invoice”' }).waitFor();
  assert.doesNotMatch(await row.innerText(), /Completed/);
  stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.status, 'pending');
  assert.equal(stored.completedAt, null);

  // Changed elsewhere (version 4) while this page shows version 3.
  await api('PATCH', `/tasks/${task.taskId}`, { priority: 'high' });
  await row.getByRole('button', { name: 'Complete “Pay invoice”' }).click();
  const conflict = page.getByRole('alertdialog', { name: 'This task changed elsewhere' });
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /Status\s+Completed\s+Pending/);
  await conflict.getByRole('button', { name: 'Complete version 4' }).click();
  await conflict.waitFor({ state: 'detached' });
  stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.status, 'completed');
  assert.equal(stored.priority, 'high');
  assert.match(await row.innerText(), /Version 5/);
  await finish(app);
});

test('delete asks for confirmation; Cancel keeps the task, Delete removes it and focus moves to the next task', async () => {
  const [keep, drop] = await seed([{ title: 'Keep me' }, { title: 'Delete me' }]);
  const app = await openApp(browser);
  const { page } = app;
  const deleteButton = item(page, 'Delete me').getByRole('button', { name: 'Delete “Delete me”' });
  await deleteButton.click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete this task?' });
  assert.match(await confirm.innerText(), /“Delete me” will be deleted for good/);
  assert.equal((await focused(page)).text, 'Cancel', 'the safe choice has focus');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.deepEqual(await titles(page), ['Delete me', 'Keep me']);
  await eventually(async () => assert.equal((await focused(page)).id, `task-${drop.taskId}-delete`), 2000);

  await page.keyboard.press('Enter');
  await confirm.getByRole('button', { name: 'Delete task' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.deepEqual(await titles(page), ['Keep me']);
  await eventually(async () => assert.equal((await focused(page)).text, 'Keep me'));
  await page.getByRole('status').filter({ hasText: '“Delete me” deleted' }).waitFor();
  assert.deepEqual((await allTasks()).map((t) => t.taskId), [keep.taskId]);
  await finish(app);
});

test('a create retried after a network error sends the same Idempotency-Key and creates one task', async () => {
  const keys = [];
  let lost = false;
  const app = await openApp(browser, {
    setup: (context) =>
      context.route('**/tasks', async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        keys.push(route.request().headers()['idempotency-key']);
        if (lost) return route.fallback();
        // The server creates the task, but its answer never reaches the page.
        lost = true;
        await route.fetch();
        await route.abort('connectionreset');
      }),
  });
  const { page } = app;
  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill('Book flights');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'may or may not have been saved' }).waitFor();
  assert.equal((await allTasks()).length, 1, 'the lost request did create the task');

  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  const response = await answer;
  assert.equal(response.status(), 201);
  assert.equal(response.headers()['idempotent-replayed'], 'true');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], 'the retry sent the same key');
  assert.match(keys[0], /^[0-9a-f-]{36}$/);
  assert.deepEqual(await titles(page), ['Book flights']);
  assert.equal((await allTasks()).length, 1, 'still one task');
  await page.getByRole('status').filter({ hasText: 'created (once, despite the retry)' }).waitFor();

  // A different body is a new request: a new key.
  await page.getByRole('button', { name: 'New task' }).click();
  await dialog.getByLabel('Title').fill('Book hotel');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.notEqual(keys[2], keys[0]);
  await finish(app);
});

const isList = (url) => url.pathname === '/tasks';

test('a 503 is retried after its Retry-After, saying so; a failed load shows an error state with “Try again”', async () => {
  await seed([{ title: 'Survives a busy service' }]);
  const times = [];
  let mode = '503';
  const app = await openApp(browser, {
    setup: (context) =>
      context.route(isList, async (route) => {
        times.push(Date.now());
        if (mode === '503') {
          mode = 'pass';
          return route.fulfill({
            status: 503,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '2' },
            body: JSON.stringify({ type: 'https://task-api.example/problems/service-unavailable', title: 'Service unavailable', status: 503, detail: 'the service is temporarily unavailable; retry later', instance: 'x' }),
          });
        }
        if (mode === '500') {
          return route.fulfill({
            status: 500,
            headers: { 'Content-Type': 'application/problem+json' },
            body: JSON.stringify({ type: 'https://task-api.example/problems/internal-error', title: 'Internal error', status: 500, detail: 'an unexpected error occurred', instance: 'y' }),
          });
        }
        return route.fallback();
      }),
  });
  const { page } = app;
  await page.getByRole('status').filter({ hasText: 'The service is busy; trying again in 2 s' }).waitFor();
  await item(page, 'Survives a busy service').waitFor();
  assert.equal(times.length, 2);
  assert.ok(times[1] - times[0] >= 1900, `waited ${times[1] - times[0]} ms for Retry-After: 2`);

  mode = '500';
  await page.getByRole('radio', { name: 'Pending' }).check();
  const error = page.getByRole('alert').filter({ hasText: 'Your tasks could not be loaded' });
  await error.waitFor();
  assert.match(await error.innerText(), /Internal error: an unexpected error occurred/);
  mode = 'pass';
  await page.getByRole('button', { name: 'Try again' }).click();
  await item(page, 'Survives a busy service').waitFor();
  await finish(app);
});

test('at 360 px wide nothing scrolls sideways, and the whole flow works from the keyboard', async () => {
  await seed([{ title: 'A rather long task title that has to wrap on a narrow phone screen', tags: ['mobile', 'layout', 'a-long-tag-name'], dueDate: '2031-02-03T04:05:00Z', priority: 'high', description: 'Some words\nover two lines' }]);
  const app = await openApp(browser, { viewport: { width: 360, height: 740 } });
  const { page } = app;
  await page.locator('ul.tasks > li').first().waitFor();
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'no horizontal scroll on the list');

  // Tab to "New task", open it with Enter, type, submit with Enter.
  for (let i = 0; i < 10 && (await focused(page)).id !== 'new-task'; i++) await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'new-task');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.waitFor();
  const box = await dialog.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 360, `the dialog fits: ${JSON.stringify(box)}`);
  assert.equal(await overflow(), 0, 'no horizontal scroll with the dialog open');
  assert.equal((await focused(page)).id, 'create-title');
  await page.keyboard.type('Typed on a phone');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await eventually(async () => assert.equal((await focused(page)).text, 'Typed on a phone'));

  // From the new task's heading, Tab reaches its buttons; Space completes it.
  await page.keyboard.press('Tab');
  assert.match((await focused(page)).text, /^Complete/);
  await page.keyboard.press('Space');
  await eventually(async () => assert.match((await focused(page)).text, /^Reopen/), 5000);

  // Escape closes a dialog and gives focus back to what opened it.
  await page.keyboard.press('Tab');
  assert.match((await focused(page)).text, /^Edit/);
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Edit task' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await eventually(async () => assert.match((await focused(page)).text, /^Edit/));
  await finish(app);
});
