// Modal dialogs: create, edit, confirmations (delete, decline) and "changed elsewhere" (412).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, NetworkError, type Task, type TaskChanges } from './api/client';
import { formatDateTime } from './format';
import {
  changesOf,
  errorsOf,
  type FormErrors,
  type FormValues,
  newTaskOf,
  PRIORITY_LABEL,
  STATUS_LABEL,
  TaskForm,
  valuesOf,
} from './form';

export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return 'The server could not be reached. Check your connection and try again.';
  if (error instanceof ApiError) {
    if (error.status === 503) return 'The service is busy. Please try again in a moment.';
    if (error.status === 403) return `Not allowed: ${error.problem?.detail ?? 'only the task’s owner can do this'}.`;
    return error.problem?.detail ? `${error.problem.title}: ${error.problem.detail}` : `The server answered ${error.status}.`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a write refused as stale or missing found: the task as it is now (412, read again), or
 * 'gone' (404, or 404 on that read: deleted, or no longer shared with the caller); null for any
 * other failure. A failed read throws.
 */
export async function reread(api: Api, task: Task, error: unknown): Promise<Task | 'gone' | null> {
  if (!(error instanceof ApiError) || (error.status !== 412 && error.status !== 404)) return null;
  if (error.status === 404) return 'gone';
  try {
    return await api.get(task.taskId);
  } catch (readError) {
    if (readError instanceof ApiError && readError.status === 404) return 'gone';
    throw readError;
  }
}

/** A native modal <dialog>: focus moves in, stays in, Escape cancels. */
export function Modal({ title, onCancel, children, role }: { title: string; onCancel(): void; children: ComponentChildren; role?: 'alertdialog' }) {
  const ref = useRef<HTMLDialogElement>(null);
  const heading = useRef(`dialog-${Math.random().toString(36).slice(2)}`);
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      role={role}
      aria-labelledby={heading.current}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id={heading.current}>{title}</h2>
      {children}
    </dialog>
  );
}

export function CreateDialog({ api, onCreated, onCancel }: { api: Api; onCreated(task: Task, replayed: boolean): void; onCancel(): void }) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors | null>(null);
  // The Idempotency-Key of the last attempt and the body it was sent with: sending the same
  // body again (after a network error, say) reuses the key, so the task is created once.
  const attempt = useRef<{ key: string; body: string } | null>(null);

  async function submit(values: FormValues) {
    const body = newTaskOf(values);
    const json = JSON.stringify(body);
    if (attempt.current?.body !== json) attempt.current = { key: crypto.randomUUID(), body: json };
    setBusy(true);
    try {
      const { task, replayed } = await api.create(body, attempt.current.key);
      onCreated(task, replayed);
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError) setErrors(errorsOf(error.problem, describeError(error), body.tags));
      else if (error instanceof NetworkError)
        setErrors({
          fields: {},
          other: [
            'No answer from the server, so the task may or may not have been saved. Select “Create task” again to retry: it will not be created twice.',
          ],
        });
      else throw error;
    }
  }

  return (
    <Modal title="New task" onCancel={onCancel}>
      <TaskForm id="create" initial={valuesOf()} errors={errors} busy={busy} submitLabel="Create task" onSubmit={submit} onCancel={onCancel} />
    </Modal>
  );
}

interface Conflict {
  current: Task;
  changes: TaskChanges;
}

export function EditDialog({
  api,
  task,
  onSaved,
  onRefreshed,
  onGone,
  onCancel,
}: {
  api: Api;
  task: Task;
  onSaved(task: Task): void;
  /** The current version, read after a 412 (the list shows it at once). */
  onRefreshed(task: Task): void;
  onGone(task: Task): void;
  onCancel(message?: string): void;
}) {
  const [initial] = useState(() => valuesOf(task));
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);

  async function apply(changes: TaskChanges, version: number) {
    setBusy(true);
    try {
      onSaved(await api.update(task.taskId, changes, version));
    } catch (error) {
      setBusy(false);
      let current: Task | 'gone' | null;
      try {
        current = await reread(api, task, error);
      } catch (readError) {
        setErrors({ fields: {}, other: [describeError(readError)] });
        return;
      }
      if (current === 'gone') onGone(task);
      else if (current) {
        onRefreshed(current);
        setConflict({ current, changes });
      } else if (error instanceof ApiError || error instanceof NetworkError) {
        setConflict(null);
        setErrors(errorsOf(error instanceof ApiError ? error.problem : null, describeError(error), changes.tags));
      } else throw error;
    }
  }

  function submit(values: FormValues) {
    const changes = changesOf(initial, values);
    if (Object.keys(changes).length === 0) onCancel('Nothing changed');
    else apply(changes, task.version);
  }

  if (conflict)
    return (
      <Modal key="conflict" title="This task changed elsewhere" onCancel={() => onCancel()} role="alertdialog">
        <ConflictPanel
          mine={task}
          current={conflict.current}
          changes={conflict.changes}
          busy={busy}
          applyLabel={`Apply my changes to version ${conflict.current.version}`}
          onApply={() => apply(conflict.changes, conflict.current.version)}
          onDiscard={() => onCancel('Your changes were discarded; the task shows its current version')}
        />
      </Modal>
    );
  return (
    <Modal key="form" title="Edit task" onCancel={() => onCancel()}>
      <TaskForm id="edit" initial={initial} errors={errors} busy={busy} submitLabel="Save changes" onSubmit={submit} onCancel={() => onCancel()} />
    </Modal>
  );
}

const FIELD_LABEL: Record<keyof TaskChanges, string> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  priority: 'Priority',
  dueDate: 'Due',
  remindAt: 'Reminder',
  tags: 'Tags',
  assignee: 'Assignee',
};

function show(field: keyof TaskChanges, value: TaskChanges[keyof TaskChanges]): string {
  if (value === null || value === undefined || value === '') return '—';
  if (field === 'status') return STATUS_LABEL[value as Task['status']];
  if (field === 'priority') return PRIORITY_LABEL[value as Task['priority']];
  if (field === 'dueDate' || field === 'remindAt') return formatDateTime(value as string);
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  return String(value);
}

/** What changed elsewhere, next to what the user was about to do; reapply or discard. */
function ConflictPanel({
  mine,
  current,
  changes,
  busy,
  applyLabel,
  onApply,
  onDiscard,
  discardLabel = 'Discard my changes',
}: {
  mine: Task;
  current: Task;
  changes: TaskChanges;
  busy: boolean;
  applyLabel: string;
  onApply(): void;
  onDiscard(): void;
  discardLabel?: string;
}) {
  const fields = Object.keys(changes) as (keyof TaskChanges)[];
  return (
    <div class="conflict">
      <p>
        “{mine.title}” was saved somewhere else (another tab or device) after you opened it. It is now at{' '}
        <strong>version {current.version}</strong>, saved {formatDateTime(current.updatedAt)}; you had version {mine.version}.
      </p>
      {fields.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Your change</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field) => (
              <tr key={field}>
                <th scope="row">{FIELD_LABEL[field]}</th>
                <td>{show(field, changes[field])}</td>
                <td>{show(field, current[field])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <button type="button" class="primary" aria-disabled={busy} onClick={() => !busy && onApply()} autoFocus>
          {busy ? 'Saving…' : applyLabel}
        </button>
        <button type="button" onClick={onDiscard}>
          {discardLabel}
        </button>
      </div>
    </div>
  );
}

/** Delete (the owner) or decline (the assignee): both lose the task for good; Cancel has focus. */
export function ConfirmDialog({
  action,
  task,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  action: 'delete' | 'decline';
  task: Task;
  busy: boolean;
  error: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  const remove = action === 'delete';
  return (
    <Modal title={remove ? 'Delete this task?' : 'Decline this task?'} onCancel={onCancel} role="alertdialog">
      <p>
        {remove
          ? `“${task.title}” will be deleted for good. This cannot be undone.`
          : `“${task.title}” will no longer be shared with you and leaves your list. Only its owner can share it with you again.`}
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="danger" aria-disabled={busy} onClick={() => !busy && onConfirm()}>
          {busy ? (remove ? 'Deleting…' : 'Declining…') : remove ? 'Delete task' : 'Decline task'}
        </button>
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

/** A quick action (complete, reopen, delete, decline) refused with 412: do it anyway, or keep theirs. */
export function QuickConflictDialog({
  mine,
  current,
  changes,
  applyLabel,
  busy,
  onApply,
  onCancel,
}: {
  mine: Task;
  current: Task;
  changes: TaskChanges;
  applyLabel: string;
  busy: boolean;
  onApply(): void;
  onCancel(): void;
}) {
  return (
    <Modal title="This task changed elsewhere" onCancel={onCancel} role="alertdialog">
      <ConflictPanel
        mine={mine}
        current={current}
        changes={changes}
        busy={busy}
        applyLabel={applyLabel}
        onApply={onApply}
        onDiscard={onCancel}
        discardLabel="Keep the current version"
      />
    </Modal>
  );
}
