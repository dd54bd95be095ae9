// docs/web-list.png and docs/web-validation-error.png, from the running local stack
// (tools/web-test.sh screenshots starts it). Not a test: it replaces the committed images.
import { fileURLToPath } from 'node:url';
import { api, clearTasks, item, launch, openApp, seed, waitForApi } from './helpers.mjs';

const docs = (name) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));

await waitForApi();
await clearTasks();
const [, , review] = await seed([
  { title: 'Renew passport', priority: 'low', dueDate: '2030-03-02T09:00:00Z', tags: ['admin'] },
  { title: 'Book flights to Lisbon', priority: 'medium', tags: ['travel'], status: 'completed' },
  { title: 'Review the Q3 budget', description: 'Compare with Q2 and flag anything over 10%.', priority: 'high', dueDate: '2030-01-15T16:00:00Z', tags: ['work', 'finance'] },
  { title: 'Call the plumber about the kitchen tap', priority: 'medium', status: 'in_progress', tags: ['home'] },
  { title: 'Write the release notes', description: 'Web app, CloudFront, sign-in.', priority: 'high', dueDate: '2030-01-10T11:30:00Z', tags: ['work', 'release'] },
]);
await api('PATCH', `/tasks/${review.taskId}`, { description: 'Compare with Q2 and flag anything over 10%. Numbers are in the shared folder.' });

const browser = await launch();
try {
  const { page, context } = await openApp(browser, { viewport: { width: 900, height: 980 } });
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
  await context.close();
  console.log('wrote docs/web-list.png and docs/web-validation-error.png');
} finally {
  await browser.close();
}
