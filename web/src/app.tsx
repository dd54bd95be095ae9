// The task list: newest first, a status filter, "Load more", and every action on a task.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, type Status, type Task, type TaskChanges } from './api/client';
import { ConfirmDeleteDialog, CreateDialog, describeError, EditDialog, QuickConflictDialog } from './dialogs';
import { formatDateTime } from './format';
import { PRIORITY_LABEL, STATUS_LABEL } from './form';
import type { Session } from './session';

type Filter = 'all' | Status;
const FILTERS: [Filter, string][] = [
  ['all', 'All'],
  ['pending', 'Pending'],
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
];

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; task: Task }
  | { kind: 'delete'; task: Task; busy: boolean; error: string }
  | { kind: 'conflict'; mine: Task; current: Task; action: 'status' | 'delete'; changes: TaskChanges; busy: boolean };

const titleId = (task: Task) => `task-${task.taskId}-title`;
const NEW_TASK = 'new-task';

export function App({ api, session }: { api: Api; session: Session }) {
  const [filter, setFilter] = useState<Filter>('all');
  const [tasks, setTasks] = useState<Task[]>([]);
  const [nextToken, setNextToken] = useState<string | undefined>();
  const [list, setList] = useState<'loading' | 'ready' | 'error'>('loading');
  const [listError, setListError] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const [busyTask, setBusyTask] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [message, setMessage] = useState({ text: '', serial: 0 });
  const focusAfterRender = useRef<string | null>(null);
  const listRequest = useRef(0);

  // Focus moves where the user's next step is, once the change is on the page.
  useEffect(() => {
    const id = focusAfterRender.current;
    if (id === null || dialog) return;
    const element = document.getElementById(id);
    if (element) {
      element.focus();
      focusAfterRender.current = null;
    }
  });
  const announce = (text: string) => setMessage((m) => ({ text, serial: m.serial + 1 }));
  useEffect(() => {
    if (!message.text) return;
    const timer = setTimeout(() => setMessage((m) => (m.serial === message.serial ? { ...m, text: '' } : m)), 6000);
    return () => clearTimeout(timer);
  }, [message.serial]);
  // A 503 is retried after Retry-After (api/client.ts); say so while the page waits.
  useEffect(() => {
    const onRetry = (event: Event) => {
      const { seconds } = (event as CustomEvent<{ seconds: number }>).detail;
      announce(`The service is busy; trying again in ${seconds} s…`);
    };
    window.addEventListener('api-retrying', onRetry);
    return () => window.removeEventListener('api-retrying', onRetry);
  }, []);

  async function load(more: boolean) {
    const request = more ? listRequest.current : ++listRequest.current;
    setLoadingMore(more);
    if (!more) setList('loading');
    try {
      const page = await api.list({ status: filter === 'all' ? undefined : filter, nextToken: more ? nextToken : undefined });
      if (request !== listRequest.current) return;
      setTasks((shown) => (more ? [...shown, ...page.tasks.filter((t) => !shown.some((s) => s.taskId === t.taskId))] : page.tasks));
      setNextToken(page.nextToken);
      setList('ready');
      if (more && page.tasks[0]) {
        focusAfterRender.current = titleId(page.tasks[0]);
        announce(`${page.count} more ${page.count === 1 ? 'task' : 'tasks'} loaded`);
      }
    } catch (error) {
      if (request !== listRequest.current) return;
      if (more) announce(`More tasks could not be loaded. ${describeError(error)}`);
      else {
        setListError(describeError(error));
        setList('error');
      }
    } finally {
      if (more && request === listRequest.current) setLoadingMore(false);
    }
  }
  useEffect(() => {
    load(false);
  }, [filter]);

  const replace = (task: Task) => setTasks((shown) => shown.map((t) => (t.taskId === task.taskId ? task : t)));
  function forget(task: Task) {
    const index = tasks.findIndex((t) => t.taskId === task.taskId);
    const neighbour = tasks[index + 1] ?? tasks[index - 1];
    setTasks((shown) => shown.filter((t) => t.taskId !== task.taskId));
    focusAfterRender.current = neighbour ? titleId(neighbour) : NEW_TASK;
  }
  const gone = (task: Task) => {
    forget(task);
    setDialog(null);
    announce(`“${task.title}” was deleted elsewhere`);
  };

  async function setStatus(task: Task, status: Status, version = task.version) {
    setBusyTask(task.taskId);
    try {
      const saved = await api.update(task.taskId, { status }, version);
      replace(saved);
      setDialog(null);
      focusAfterRender.current = `task-${task.taskId}-toggle`;
      announce(status === 'completed' ? `“${saved.title}” completed` : `“${saved.title}” reopened`);
    } catch (error) {
      await refused(task, error, 'status', { status });
    } finally {
      setBusyTask(null);
    }
  }

  async function remove(task: Task, version = task.version) {
    setDialog((d) => (d?.kind === 'delete' ? { ...d, busy: true, error: '' } : d?.kind === 'conflict' ? { ...d, busy: true } : d));
    try {
      await api.remove(task.taskId, version);
      forget(task);
      setDialog(null);
      announce(`“${task.title}” deleted`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        forget(task);
        setDialog(null);
        announce(`“${task.title}” was already deleted`);
      } else if (error instanceof ApiError && error.status === 412) await refused(task, error, 'delete', {});
      else setDialog({ kind: 'delete', task, busy: false, error: describeError(error) });
    }
  }

  /** A quick action refused: 412 shows what changed and asks; 404 drops the task. */
  async function refused(task: Task, error: unknown, action: 'status' | 'delete', changes: TaskChanges) {
    if (error instanceof ApiError && error.status === 412) {
      try {
        const current = await api.get(task.taskId);
        replace(current);
        setDialog({ kind: 'conflict', mine: task, current, action, changes, busy: false });
      } catch (readError) {
        if (readError instanceof ApiError && readError.status === 404) gone(task);
        else announce(describeError(readError));
      }
    } else if (error instanceof ApiError && error.status === 404) gone(task);
    else {
      setDialog(null);
      announce(`“${task.title}” was not changed. ${describeError(error)}`);
    }
  }

  function closeDialog(focusId: string | null, text?: string) {
    setDialog(null);
    if (focusId) focusAfterRender.current = focusId;
    if (text) announce(text);
  }

  const visible = list === 'ready' ? tasks : [];
  const filterLabel = FILTERS.find(([value]) => value === filter)![1];
  return (
    <>
      <header class="top">
        <h1>Tasks</h1>
        <div class="who">
          {session.mode === 'local' ? (
            <span class="badge local" title="make dev: every request acts as the local caller, without sign-in">
              Local · no sign-in
            </span>
          ) : (
            <>
              <span class="email">{session.user?.email}</span>
              <button type="button" class="link" onClick={() => session.signOut()}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main>
        <div class="toolbar">
          <fieldset class="filter">
            <legend>Show</legend>
            {FILTERS.map(([value, label]) => (
              <label key={value} class={filter === value ? 'selected' : undefined}>
                <input type="radio" name="status-filter" value={value} checked={filter === value} onChange={() => setFilter(value)} />
                {label}
              </label>
            ))}
          </fieldset>
          <button type="button" id={NEW_TASK} class="primary" onClick={() => setDialog({ kind: 'create' })}>
            New task
          </button>
        </div>

        {list === 'loading' && (
          <p class="state" role="status">
            <span class="spinner" aria-hidden="true" /> Loading tasks…
          </p>
        )}
        {list === 'error' && (
          <div class="state error" role="alert">
            <p>Your tasks could not be loaded. {listError}</p>
            <button type="button" onClick={() => load(false)}>
              Try again
            </button>
          </div>
        )}
        {list === 'ready' && visible.length === 0 && (
          <div class="state empty">
            <p>{filter === 'all' ? 'No tasks yet.' : `No ${filterLabel.toLowerCase()} tasks.`}</p>
            {filter === 'all' && (
              <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
                Create your first task
              </button>
            )}
          </div>
        )}
        {visible.length > 0 && (
          <ul class="tasks" aria-label={`${filterLabel} tasks, newest first`}>
            {visible.map((task) => (
              <TaskItem
                key={task.taskId}
                task={task}
                busy={busyTask === task.taskId}
                onToggle={() => setStatus(task, task.status === 'completed' ? 'pending' : 'completed')}
                onEdit={() => setDialog({ kind: 'edit', task })}
                onDelete={() => setDialog({ kind: 'delete', task, busy: false, error: '' })}
              />
            ))}
          </ul>
        )}
        {list === 'ready' && nextToken && (
          <div class="more">
            <button type="button" id="load-more" onClick={() => !loadingMore && load(true)} aria-disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </main>
      <div class="toast" role="status" aria-live="polite" aria-atomic="true">
        {message.text && <p>{message.text}</p>}
      </div>

      {dialog?.kind === 'create' && (
        <CreateDialog
          api={api}
          onCancel={() => closeDialog(NEW_TASK)}
          onCreated={(task, replayed) => {
            const shown = filter === 'all' || filter === task.status;
            if (shown) setTasks((current) => [task, ...current.filter((t) => t.taskId !== task.taskId)]);
            if (shown && list !== 'ready') setList('ready');
            closeDialog(
              shown ? titleId(task) : NEW_TASK,
              `“${task.title}” created${replayed ? ' (once, despite the retry)' : ''}${shown ? '' : `; it is not ${filterLabel.toLowerCase()}, so it is not shown here`}`,
            );
          }}
        />
      )}
      {dialog?.kind === 'edit' && (
        <EditDialog
          api={api}
          task={dialog.task}
          onSaved={(task) => {
            replace(task);
            closeDialog(titleId(task), `“${task.title}” saved`);
          }}
          onRefreshed={replace}
          onGone={gone}
          onCancel={(text) => closeDialog(`task-${dialog.task.taskId}-edit`, text)}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDeleteDialog
          task={dialog.task}
          busy={dialog.busy}
          error={dialog.error}
          onConfirm={() => remove(dialog.task)}
          onCancel={() => closeDialog(`task-${dialog.task.taskId}-delete`)}
        />
      )}
      {dialog?.kind === 'conflict' && (
        <QuickConflictDialog
          mine={dialog.mine}
          current={dialog.current}
          changes={dialog.changes}
          busy={dialog.busy || busyTask === dialog.current.taskId}
          applyLabel={
            dialog.action === 'delete'
              ? `Delete version ${dialog.current.version} anyway`
              : `${dialog.changes.status === 'completed' ? 'Complete' : 'Reopen'} version ${dialog.current.version}`
          }
          onApply={() =>
            dialog.action === 'delete'
              ? remove(dialog.current, dialog.current.version)
              : setStatus(dialog.current, dialog.changes.status!, dialog.current.version)
          }
          onCancel={() => closeDialog(titleId(dialog.current), 'The task keeps its current version')}
        />
      )}
    </>
  );
}

function TaskItem({ task, busy, onToggle, onEdit, onDelete }: { task: Task; busy: boolean; onToggle(): void; onEdit(): void; onDelete(): void }) {
  const done = task.status === 'completed';
  const overdue = !done && task.dueDate !== null && Date.parse(task.dueDate) < Date.now();
  const name = <span class="visually-hidden"> “{task.title}”</span>;
  return (
    <li class={`task ${task.status}`} aria-labelledby={`task-${task.taskId}-title`}>
      <div class="task-head">
        <h3 id={`task-${task.taskId}-title`} tabIndex={-1}>
          {task.title}
        </h3>
        <span class={`badge priority-${task.priority}`}>{PRIORITY_LABEL[task.priority]} priority</span>
      </div>
      <p class="meta">
        <span class={`badge status-${task.status}`}>{STATUS_LABEL[task.status]}</span>
        {task.dueDate && (
          <span class={overdue ? 'due overdue' : 'due'}>
            Due <time dateTime={task.dueDate}>{formatDateTime(task.dueDate)}</time>
            {overdue && ' (overdue)'}
          </span>
        )}
        {task.completedAt && (
          <span class="completed-at">
            Completed <time dateTime={task.completedAt}>{formatDateTime(task.completedAt)}</time>
          </span>
        )}
      </p>
      {task.description && <p class="description">{task.description}</p>}
      {task.tags.length > 0 && (
        <ul class="tags" aria-label="Tags">
          {task.tags.map((tag) => (
            <li key={tag}>{tag}</li>
          ))}
        </ul>
      )}
      <div class="task-foot">
        <div class="actions">
          <button type="button" id={`task-${task.taskId}-toggle`} onClick={() => !busy && onToggle()} aria-disabled={busy}>
            {done ? 'Reopen' : 'Complete'}
            {name}
          </button>
          <button type="button" id={`task-${task.taskId}-edit`} onClick={onEdit}>
            Edit{name}
          </button>
          <button type="button" id={`task-${task.taskId}-delete`} class="danger-text" onClick={onDelete}>
            Delete{name}
          </button>
        </div>
        <p class="version">
          Version {task.version} · created <time dateTime={task.createdAt}>{formatDateTime(task.createdAt)}</time>
        </p>
      </div>
    </li>
  );
}
