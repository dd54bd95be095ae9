// Reminders (remindAt) in the app, in Chromium against make dev's stack: set with a preset
// relative to the due date or as a time of the user's own, shown in the list, cleared, refused
// when already past, and out of the assignee's hands. The page's time zone is Europe/Paris.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allTasks, api, as, browser, browserTests, finish, focused, item, openApp, seed } from './helpers.mjs';

browserTests();

const presetNames = (dialog) =>
  dialog.getByRole('group', { name: 'Quick choices' }).getByRole('button').allTextContents();
/** The page's wall-clock time `minutes` from now, as a datetime-local value. */
const localIn = (page, minutes) =>
  page.evaluate((minutes) => {
    const d = new Date(Date.now() + minutes * 60_000);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }, minutes);

test('a new task’s reminder from a preset: offered only with a due date and while still to come, sent in UTC, shown in the list with a bell and the local time', async () => {
  await seed([{ title: 'No reminder here', dueDate: '2030-01-01T08:00:00Z' }]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'No reminder here').waitFor();
  assert.doesNotMatch(await item(page, 'No reminder here').innerText(), /Reminder/, 'nothing for a task without one');
  assert.equal(await item(page, 'No reminder here').locator('.reminder').count(), 0);

  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill('Send the invitations');
  const hint = await dialog.locator('#create-remind-hint').textContent();
  assert.match(hint, /In your time zone, Europe\/Paris/, 'the field names the zone');
  assert.match(hint, /With a due date, you can pick a time relative to it/);
  assert.deepEqual(await presetNames(dialog), [], 'no presets without a due date');

  // Due in half an hour: only "at the due time" is still to come.
  await dialog.getByLabel('Due').fill(await localIn(page, 30));
  assert.deepEqual(await presetNames(dialog), ['At the due time']);
  await dialog.getByLabel('Due').fill('2030-01-01T09:00');
  assert.deepEqual(await presetNames(dialog), ['At the due time', '1 hour before', '1 day before']);
  await dialog.getByRole('button', { name: '1 day before' }).click();
  assert.equal(await dialog.getByLabel('Reminder').inputValue(), '2029-12-31T09:00', 'the same clock time the day before');
  await dialog.getByRole('button', { name: '1 hour before' }).click();
  assert.equal(await dialog.getByLabel('Reminder').inputValue(), '2030-01-01T08:00');
  await dialog.getByRole('status').filter({ hasText: 'That is 1 hour before the due time.' }).waitFor();

  const sent = page.waitForRequest((r) => r.method() === 'POST');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  assert.equal((await sent).postDataJSON().remindAt, '2030-01-01T07:00:00.000Z', '08:00 in Paris, sent in UTC');
  await dialog.waitFor({ state: 'detached' });

  const row = item(page, 'Send the invitations');
  assert.match(await row.innerText(), /Due 1 Jan 2030, 09:00 CET\s+Reminder 1 Jan 2030, 08:00 CET/);
  assert.equal(await row.locator('.reminder time').getAttribute('datetime'), '2030-01-01T07:00:00.000Z');
  assert.equal(await row.locator('.reminder svg').getAttribute('aria-hidden'), 'true', 'the bell is decoration; the text says it');
  const stored = (await allTasks()).find((t) => t.title === 'Send the invitations');
  assert.equal(stored.remindAt, '2030-01-01T07:00:00.000Z');
  assert.equal(stored.dueDate, '2030-01-01T08:00:00.000Z');
  await finish(app);
});

test('a reminder at a time of the user’s own, changed in the edit dialog (only it is sent, with If-Match), off while completed, and cleared with “No reminder” (null)', async () => {
  const [task] = await seed([{ title: 'Renew passport', dueDate: '2030-06-01T10:00:00Z' }]);
  const app = await openApp(browser);
  const { page } = app;
  const row = item(page, 'Renew passport');
  const edit = async () => {
    await row.getByRole('button', { name: 'Edit “Renew passport”' }).click();
    return page.getByRole('dialog', { name: 'Edit task' });
  };
  const save = async (dialog) => {
    const sent = page.waitForRequest((r) => r.method() === 'PATCH');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const request = await sent;
    await dialog.waitFor({ state: 'detached' });
    return request;
  };

  let dialog = await edit();
  assert.equal(await dialog.getByLabel('Reminder').inputValue(), '');
  assert.match(await dialog.locator('#edit-remind-hint').textContent(), /Europe\/Paris/);
  await dialog.getByLabel('Reminder').fill('2030-05-31T18:30');
  let request = await save(dialog);
  assert.deepEqual(request.postDataJSON(), { remindAt: '2030-05-31T16:30:00.000Z' }, '18:30 in Paris in summer is 16:30 UTC');
  assert.equal(request.headers()['if-match'], '"1"');
  assert.match(await row.innerText(), /Reminder 31 May 2030, 18:30 CEST/);
  assert.equal((await api('GET', `/tasks/${task.taskId}`)).body.task.remindAt, '2030-05-31T16:30:00.000Z');

  // Completing keeps the reminder, but it will not be sent while the task is completed.
  await row.getByRole('button', { name: 'Complete “Renew passport”' }).click();
  await row.getByRole('button', { name: 'Reopen “Renew passport”' }).waitFor();
  assert.match(await row.innerText(), /Reminder 31 May 2030, 18:30 CEST \(off while completed\)/);
  await row.getByRole('button', { name: 'Reopen “Renew passport”' }).click();
  await row.getByRole('button', { name: 'Complete “Renew passport”' }).waitFor();
  assert.doesNotMatch(await row.innerText(), /off while completed/);

  dialog = await edit();
  const field = dialog.getByLabel('Reminder');
  assert.equal(await field.inputValue(), '2030-05-31T18:30', 'the form starts from the stored reminder, in local time');
  await dialog.getByRole('button', { name: 'No reminder' }).click();
  assert.equal(await field.inputValue(), '');
  assert.equal((await focused(page)).id, 'edit-remind', 'focus stays in the field when its button goes');
  assert.equal(await dialog.getByRole('button', { name: 'No reminder' }).count(), 0);
  request = await save(dialog);
  assert.deepEqual(request.postDataJSON(), { remindAt: null });
  assert.equal(request.headers()['if-match'], '"4"');
  assert.doesNotMatch(await row.innerText(), /Reminder/);
  const stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.remindAt, null);
  assert.equal(stored.dueDate, '2030-06-01T10:00:00.000Z', 'the due date is untouched');
  await finish(app);
});

test('a reminder time already past: the API’s 400 naming remindAt is shown under the field, which is marked and focused; nothing is saved', async () => {
  const [task] = await seed([{ title: 'Call the bank' }]);
  const app = await openApp(browser);
  const { page } = app;
  await item(page, 'Call the bank').getByRole('button', { name: 'Edit “Call the bank”' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit task' });
  const field = dialog.getByLabel('Reminder');
  await field.fill(await localIn(page, -60));
  const answer = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  const response = await answer;
  assert.equal(response.status(), 400);
  assert.ok((await response.json()).errors.some((e) => e.field === 'remindAt'), 'the API names remindAt');

  const error = dialog.locator('#edit-remind-error');
  await error.waitFor();
  assert.equal(await error.textContent(), 'Must be later than now');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.match(await field.getAttribute('aria-describedby'), /edit-remind-error/);
  assert.equal((await focused(page)).id, 'edit-remind', 'focus on the field in error');
  assert.equal(await dialog.locator('#edit-error').count(), 0, 'not shown as an error of the whole form');
  const stored = (await api('GET', `/tasks/${task.taskId}`)).body.task;
  assert.equal(stored.remindAt, null);
  assert.equal(stored.version, 1);

  // A time to come is accepted from the same dialog.
  await field.fill('2031-01-01T09:00');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await api('GET', `/tasks/${task.taskId}`)).body.task.remindAt, '2031-01-01T08:00:00.000Z');
  await finish(app);
});

test('the assignee sees the reminder but cannot change it: no Edit, and the API refuses it (403 naming remindAt)', async () => {
  const bob = `bob-${Math.random().toString(36).slice(2, 8)}`;
  const [task] = await seed([{ title: 'Water the plants', assignee: bob, remindAt: '2030-03-01T07:00:00Z' }]);
  const assignee = await openApp(browser, { caller: bob });
  const a = assignee.page;
  await a.getByRole('radio', { name: 'Assigned to me' }).check();
  const row = item(a, 'Water the plants');
  await row.waitFor();
  assert.match(await row.innerText(), /Reminder 1 Mar 2030, 08:00 CET/);
  const buttons = await row.getByRole('button').evaluateAll((all) => all.map((b) => b.textContent.trim()));
  assert.deepEqual(buttons, ['Complete “Water the plants”', 'Decline “Water the plants”'], 'nothing that edits the reminder');

  const { status, body } = await api('PATCH', `/tasks/${task.taskId}`, { remindAt: null }, as(bob));
  assert.equal(status, 403);
  assert.deepEqual(body.errors.map((e) => e.field), ['remindAt']);
  assert.equal((await api('GET', `/tasks/${task.taskId}`)).body.task.remindAt, '2030-03-01T07:00:00.000Z', 'unchanged');
  await finish(assignee);
});
