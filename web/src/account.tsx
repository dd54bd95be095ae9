// "Your account": "Download my data" (every page of both listings in one JSON file, as
// docs/api.md "Your account" describes the export) and "Delete my account" (DELETE /account,
// behind a confirmation that names what will be lost, offering the download first).
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, NetworkError, type Scope, type Task } from './api/client';
import { describeError, Modal } from './dialogs';
import { type Session, userIdOf } from './session';

/** The export's document: docs/api.md, "Export: GET /tasks, both scopes". */
export interface DataExport {
  exportedAt: string;
  userId: string | null;
  owned: Task[];
  assigned: Task[];
}

/** Every task of one listing: pages of 100, following nextToken until a page has none. */
async function everyTask(api: Api, scope: Scope, progress: (read: number) => void): Promise<Task[]> {
  const tasks: Task[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.list({ scope, limit: 100, nextToken });
    tasks.push(...page.tasks);
    progress(tasks.length);
    nextToken = page.nextToken;
  } while (nextToken);
  return tasks;
}

async function collect(api: Api, session: Session, progress: (read: number) => void): Promise<DataExport> {
  const exportedAt = new Date().toISOString();
  const owned = await everyTask(api, 'owned', progress);
  const assigned = await everyTask(api, 'assigned', (read) => progress(owned.length + read));
  return { exportedAt, userId: userIdOf(session), owned, assigned };
}

const pad = (n: number) => String(n).padStart(2, '0');
/** tasks-export-YYYY-MM-DD.json, the date in the browser's time zone. */
export function exportFileName(now = new Date()): string {
  return `tasks-export-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.json`;
}

function save(data: DataExport) {
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = exportFileName();
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const tasks = (n: number) => `${n} ${n === 1 ? 'task' : 'tasks'}`;

export function Account({
  api,
  session,
  announce,
  onDeleted,
}: {
  api: Api;
  session: Session;
  announce(text: string): void;
  /** Locally, after 202: the data is gone, the list is to be read again (deployed: signed out). */
  onDeleted(text: string): void;
}) {
  const [exporting, setExporting] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const downloading = useRef(false); // one export at a time, however fast the clicks

  async function download() {
    if (downloading.current) return;
    downloading.current = true;
    setExporting(0);
    try {
      const data = await collect(api, session, setExporting);
      save(data);
      announce(`Your data is downloaded: ${tasks(data.owned.length)} of yours, ${tasks(data.assigned.length)} shared with you`);
    } catch (error) {
      announce(`Your data could not be downloaded. ${describeError(error)}`);
    } finally {
      downloading.current = false;
      setExporting(null);
    }
  }

  return (
    <section class="account" aria-labelledby="account-heading">
      <h2 id="account-heading">Your account</h2>
      <div class="actions">
        <button type="button" id="download-data" onClick={download} aria-disabled={exporting !== null}>
          {exporting === null ? 'Download my data' : `Preparing your data… ${tasks(exporting)}`}
        </button>
        <button type="button" id="delete-account" ref={deleteButton} class="danger-text" onClick={() => setConfirming(true)}>
          Delete my account
        </button>
      </div>
      <p class="hint">
        The download is one JSON file of every task you own and every task shared with you.
      </p>
      {confirming && (
        <DeleteAccountDialog
          api={api}
          session={session}
          exporting={exporting}
          onDownload={download}
          onCancel={() => {
            setConfirming(false);
            deleteButton.current?.focus();
          }}
          onDeleted={(text) => {
            setConfirming(false);
            onDeleted(text);
          }}
        />
      )}
    </section>
  );
}

type Count = { owned: number; assigned: number } | 'counting' | { error: string };

function DeleteAccountDialog({
  api,
  session,
  exporting,
  onDownload,
  onCancel,
  onDeleted,
}: {
  api: Api;
  session: Session;
  exporting: number | null;
  onDownload(): void;
  onCancel(): void;
  onDeleted(text: string): void;
}) {
  const [count, setCount] = useState<Count>('counting');
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const local = session.mode === 'local';

  // What will be lost, counted from every page of both listings.
  useEffect(() => {
    let open = true;
    collect(api, session, () => {})
      .then((data) => open && setCount({ owned: data.owned.length, assigned: data.assigned.length }))
      .catch((failure) => open && setCount({ error: describeError(failure) }));
    return () => {
      open = false;
    };
  }, []);

  async function remove() {
    if (busy || !understood) return;
    setBusy(true);
    setError('');
    try {
      await api.deleteAccount();
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.status === 503) {
        setError('The service is busy, so your account was not deleted yet. Please try again in a moment: asking again is always safe.');
      } else if (failure instanceof NetworkError) {
        setError('No answer from the server, so your account may or may not be deleting. Try again: asking again is always safe.');
      } else setError(describeError(failure));
      return;
    }
    const owned = typeof count === 'object' && 'owned' in count ? `${tasks(count.owned)} of yours` : 'your tasks';
    if (local) {
      onDeleted(`The data of ${userIdOf(session)} was deleted: ${owned}, and the tasks shared with them no longer are`);
    } else {
      // The account is being deleted and its sign-in revoked: forget the tokens and sign out.
      await session.signOut('Your account and all its data are being deleted, and you are signed out.');
    }
  }

  const known = typeof count === 'object' && 'owned' in count ? count : null;
  return (
    <Modal title="Delete your account?" onCancel={onCancel} role="alertdialog">
      <div class="account-loss" aria-live="polite">
        {count === 'counting' && (
          <p>
            <span class="spinner" aria-hidden="true" /> Counting your tasks…
          </p>
        )}
        {typeof count === 'object' && 'error' in count && (
          <p class="form-error">Your tasks could not be counted ({count.error}). Every task you own will be deleted.</p>
        )}
        <ul>
          <li id="account-loss-owned">
            {known
              ? known.owned === 0
                ? 'You own no tasks.'
                : `The ${tasks(known.owned)} you own will be deleted, also for whoever they are shared with.`
              : 'Every task you own will be deleted, also for whoever it is shared with.'}
          </li>
          <li>
            {known && known.assigned === 0
              ? 'No tasks are shared with you.'
              : `You will be removed from the ${known ? `${tasks(known.assigned)} ` : 'tasks '}shared with you; their owners keep them.`}
          </li>
          <li>
            {local
              ? `Locally there is no sign-in: the data of ${userIdOf(session)} is deleted.`
              : 'You are signed out everywhere, and you cannot sign in to this account again.'}
          </li>
          <li>This cannot be undone.</li>
        </ul>
      </div>
      <p>
        Download your data first: every task you own and every task shared with you, in one file.{' '}
        <button type="button" onClick={onDownload} aria-disabled={exporting !== null}>
          {exporting === null ? 'Download my data' : `Preparing… ${tasks(exporting)}`}
        </button>
      </p>
      <label class="understood">
        <input type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.currentTarget.checked)} />
        {known ? `I understand: delete my account and the ${tasks(known.owned)} I own, for good` : 'I understand: delete my account and every task I own, for good'}
      </label>
      <p class="hint" id="delete-account-hint">
        {understood ? 'Your account is deleted when you select “Delete my account for good”.' : 'Tick the box above to confirm.'}
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="danger" aria-disabled={busy || !understood} aria-describedby="delete-account-hint" onClick={remove}>
          {busy ? 'Deleting…' : 'Delete my account for good'}
        </button>
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
