// docs/web-list.png, docs/web-validation-error.png, docs/web-assigned.png and docs/web-account.png, from the
// running local stack (tools/web-test.sh screenshots starts it). Not a test: it replaces the
// committed images. SCREENSHOTS_DIR writes them elsewhere (to look before replacing).
import { fileURLToPath } from 'node:url';
import { api, as, clearTasks, item, launch, openApp, seed, waitForApi } from './helpers.mjs';

const dir = process.env.SCREENSHOTS_DIR ? `${process.env.SCREENSHOTS_DIR}/` : fileURLToPath(new URL('../../docs/', import.meta.url));
const docs = (name) => `${dir}${name}`;
// Local user ids, as "Acting as" would have them (deployed, they are Cognito subs).
const me = 'local-developer';
const sam = 'sam';

await waitForApi();
await clearTasks(me);
await clearTasks(sam);
const [, , review] = await seed(
  [
    { title: 'Renew passport', priority: 'low', dueDate: '2030-03-02T09:00:00Z', tags: ['admin'] },
    { title: 'Book flights to Lisbon', priority: 'medium', tags: ['travel'], status: 'completed' },
    { title: 'Review the Q3 budget', description: 'Compare with Q2 and flag anything over 10%.', priority: 'high', dueDate: '2030-01-15T16:00:00Z', tags: ['work', 'finance'], assignee: sam },
    { title: 'Call the plumber about the kitchen tap', priority: 'medium', status: 'in_progress', tags: ['home'] },
    { title: 'Write the release notes', description: 'Web app, CloudFront, sign-in.', priority: 'high', dueDate: '2030-01-10T11:30:00Z', remindAt: '2030-01-10T10:30:00Z', tags: ['work', 'release'] },
  ],
  me,
);
await api('PATCH', `/tasks/${review.taskId}`, { description: 'Compare with Q2 and flag anything over 10%. Numbers are in the shared folder.' }, as(me));
await seed([{ title: 'Proofread the onboarding guide', priority: 'medium', dueDate: '2030-02-01T10:00:00Z', tags: ['docs'], assignee: me }], sam);

const browser = await launch();
try {
  const { page, context } = await openApp(browser, { viewport: { width: 900, height: 1100 }, caller: me });
  await item(page, 'Write the release notes').waitFor();
  await page.screenshot({ path: docs('web-list.png') });

  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill('   ');
  await dialog.getByLabel('Priority').selectOption('high');
  await dialog.getByLabel('Tags').fill('Urgent, follow-up');
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.locator('#create-title-error').waitFor();
  await page.screenshot({ path: docs('web-validation-error.png') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('radio', { name: 'Assigned to me' }).check();
  await item(page, 'Proofread the onboarding guide').waitFor();
  await page.screenshot({ path: docs('web-assigned.png') });

  await page.getByRole('radio', { name: 'My tasks' }).check();
  await item(page, 'Write the release notes').waitFor();
  await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete your account?' });
  await confirm.getByText('The 5 tasks you own will be deleted').waitFor();
  await page.screenshot({ path: docs('web-account.png') });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await context.close();
  console.log('wrote web-list.png, web-validation-error.png, web-assigned.png and web-account.png');
} finally {
  await browser.close();
}
