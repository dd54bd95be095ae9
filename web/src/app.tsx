// The task list: the caller's own tasks or those assigned to them, newest first, a status
// filter, "Load more", and every action on a task that the caller may take.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Account } from './account';
import { type Api, ApiError, type Scope, type Status, type Task, type TaskChanges } from './api/client';
import { ConfirmDialog, CreateDialog, describeError, EditDialog, QuickConflictDialog, reread } from './dialogs';
import { formatDateTime } from './format';
import { PRIORITY_LABEL, STATUS_LABEL } from './form';
import { Identity } from './identity';
import { connectLive, type Hint } from './live';
import { type Session, userIdOf } from './session';

type Filter = 'all' | Status;
const FILTERS: [Filter, string][] = [
  ['all', 'All'],
  ['pending', 'Pending'],
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
];
const SCOPES: [Scope, string][] = [
  ['owned', 'My tasks'],
  ['assigned', 'Assigned to me'],
];

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; task: Task }
  | { kind: 'confirm'; action: Drop; task: Task; busy: boolean; error: string }
  | { kind: 'conflict'; mine: Task; current: Task; action: 'status' | Drop; changes: TaskChanges; busy: boolean };
/** What takes a task out of the list: its owner deletes it, its assignee declines it. */
type Drop = 'delete' | 'decline';

const titleId = (task: Task) => `task-${task.taskId}-title`;
const NEW_TASK = 'new-task';

/** `live`: where live updates connect (src/live.ts), or null for none. */
export function App({ api, session, live }: { api: Api; session: Session; live?: () => Promise<string | null> }) {
  const me = userIdOf(session);
  const [scope, setScope] = useState<Scope>('owned');
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
      const query = { scope: scope === 'assigned' ? scope : undefined, status: filter === 'all' ? undefined : filter };
      let page = await api.list({ ...query, nextToken: more ? nextToken : undefined });
      // A filtered page reads a bounded number of tasks, so it can come back empty with a
      // token to go on: read on a few pages rather than show an empty one.
      for (let extra = 0; page.tasks.length === 0 && page.nextToken && extra < 5; extra++) {
        if (request !== listRequest.current) return;
        page = await api.list({ ...query, nextToken: page.nextToken });
      }
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
  }, [filter, scope, me]);

  // Live updates: hints re-read what they name; see src/live.ts.
  const [offline, setOffline] = useState(false);
  const latest = useRef({ tasks, scope, filter, me, list, refresh, live, api });
  latest.current = { tasks, scope, filter, me, list, refresh, live, api };
  /** Re-reads the first page quietly (no spinner): after a reconnection, a wake, a new task. */
  async function refresh() {
    if (list !== 'ready') return;
    const request = ++listRequest.current;
    try {
      const query = { scope: scope === 'assigned' ? scope : undefined, status: filter === 'all' ? undefined : filter };
      const page = await api.list(query);
      if (request !== listRequest.current) return;
      setTasks(page.tasks);
      setNextToken(page.nextToken);
    } catch {
      // The list shown stays; the next hint or wake tries again.
    }
  }
  /** One quiet re-read for a burst of hints of tasks not shown (many created at once). */
  const pendingRefresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  function refreshSoon() {
    if (pendingRefresh.current !== undefined) return;
    pendingRefresh.current = setTimeout(() => {
      pendingRefresh.current = undefined;
      void latest.current.refresh();
    }, 300);
  }
  useEffect(() => () => clearTimeout(pendingRefresh.current), []);
  async function applyHint(hint: Hint) {
    const { tasks: shown, scope: shownScope, filter: shownFilter, me: caller, list: state, api: client } = latest.current;
    if (state !== 'ready') return;
    const drop = (taskId: string) => setTasks((all) => all.filter((t) => t.taskId !== taskId));
    if (hint.type === 'task.removed') return drop(hint.taskId);
    const current = shown.find((t) => t.taskId === hint.taskId);
    if (current && current.version >= hint.version) return; // the page already shows it
    if (!current) return refreshSoon(); // new here: its place in the list is the API's
    try {
      const task = await client.get(hint.taskId);
      const belongs =
        (shownScope === 'assigned' ? task.assignee === caller : task.ownerId === caller) &&
        (shownFilter === 'all' || task.status === shownFilter);
      if (!belongs) drop(task.taskId);
      else setTasks((all) => all.map((t) => (t.taskId === task.taskId && t.version < task.version ? task : t)));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) drop(hint.taskId);
    }
  }
  useEffect(() => {
    const url = latest.current.live;
    if (!url) return;
    const stop = connectLive({
      url,
      hint: (hint) => void applyHint(hint),
      resync: () => void latest.current.refresh(),
      connected: (open) => setOffline(!open),
    });
    return () => {
      stop();
      setOffline(false);
    };
  }, [me]);
  // Acting as someone else (locally): what was open belonged to the previous caller.
  useEffect(() => setDialog(null), [me]);

  const replace = (task: Task) => setTasks((shown) => shown.map((t) => (t.taskId === task.taskId ? task : t)));
  function forget(task: Task) {
    const index = tasks.findIndex((t) => t.taskId === task.taskId);
    const neighbour = tasks[index + 1] ?? tasks[index - 1];
    setTasks((shown) => shown.filter((t) => t.taskId !== task.taskId));
    focusAfterRender.current = neighbour ? titleId(neighbour) : NEW_TASK;
  }
  /** A 404: deleted by its owner, or (assigned to me) no longer shared with me. */
  const lostText = (task: Task) =>
    scope === 'assigned' ? `“${task.title}” is no longer shared with you` : `“${task.title}” was deleted elsewhere`;
  const gone = (task: Task) => {
    forget(task);
    setDialog(null);
    announce(lostText(task));
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

  /** Delete (the owner) or decline (the assignee, `assignee: null`): the task leaves the list. */
  async function drop(task: Task, action: Drop, version = task.version) {
    setDialog((d) => (d?.kind === 'confirm' ? { ...d, busy: true, error: '' } : d?.kind === 'conflict' ? { ...d, busy: true } : d));
    const changes: TaskChanges = action === 'decline' ? { assignee: null } : {};
    try {
      if (action === 'delete') await api.remove(task.taskId, version);
      else await api.update(task.taskId, changes, version);
      forget(task);
      setDialog(null);
      announce(action === 'delete' ? `“${task.title}” deleted` : `You declined “${task.title}”; it is no longer shared with you`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        forget(task);
        setDialog(null);
        announce(action === 'delete' ? `“${task.title}” was already deleted` : lostText(task));
      } else if (error instanceof ApiError && error.status === 412) await refused(task, error, action, changes);
      else setDialog({ kind: 'confirm', action, task, busy: false, error: describeError(error) });
    }
  }

  /** A quick action refused: 412 shows what changed and asks; 404 drops the task. */
  async function refused(task: Task, error: unknown, action: 'status' | Drop, changes: TaskChanges) {
    let current: Task | 'gone' | null;
    try {
      current = await reread(api, task, error);
    } catch (readError) {
      announce(describeError(readError));
      return;
    }
    if (current === 'gone') gone(task);
    else if (current) {
      replace(current);
      setDialog({ kind: 'conflict', mine: task, current, action, changes, busy: false });
    } else {
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
  const assigned = scope === 'assigned';
  const kind = filter === 'all' ? '' : `${filterLabel.toLowerCase()} `;
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
      {offline && (
        <p class="live-offline" role="status" title="Changes made elsewhere show once the connection is back">
          offline — reconnecting
        </p>
      )}
      <Identity session={session} announce={announce} />
      <main>
        <fieldset class="filter scope">
          <legend>Whose tasks</legend>
          {SCOPES.map(([value, label]) => (
            <label key={value} class={scope === value ? 'selected' : undefined}>
              <input type="radio" name="scope" value={value} checked={scope === value} onChange={() => setScope(value)} />
              {label}
            </label>
          ))}
        </fieldset>
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
            <p>
              {assigned ? 'The tasks assigned to you' : 'Your tasks'} could not be loaded. {listError}
            </p>
            <button type="button" onClick={() => load(false)}>
              Try again
            </button>
          </div>
        )}
        {list === 'ready' && visible.length === 0 && (
          <div class="state empty">
            {assigned ? (
              <p>
                No {kind}tasks are assigned to you.{filter === 'all' && ' When someone shares a task with you, it shows here.'}
              </p>
            ) : (
              <p>{filter === 'all' ? 'No tasks yet.' : `No ${kind}tasks.`}</p>
            )}
            {filter === 'all' && !assigned && (
              <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
                Create your first task
              </button>
            )}
          </div>
        )}
        {visible.length > 0 && (
          <ul class="tasks" aria-label={`${filterLabel} tasks${assigned ? ' assigned to you' : ''}, newest first`}>
            {visible.map((task) => (
              <TaskItem
                key={task.taskId}
                task={task}
                assigned={assigned}
                busy={busyTask === task.taskId}
                onToggle={() => setStatus(task, task.status === 'completed' ? 'pending' : 'completed')}
                onEdit={() => setDialog({ kind: 'edit', task })}
                onDrop={() => setDialog({ kind: 'confirm', action: assigned ? 'decline' : 'delete', task, busy: false, error: '' })}
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
      <Account
        api={api}
        session={session}
        announce={announce}
        onDeleted={(text) => {
          // Locally (no sign-in): the caller's data is gone; show the empty list.
          setDialog(null);
          focusAfterRender.current = NEW_TASK;
          announce(text);
          if (scope !== 'owned' || filter !== 'all') {
            setScope('owned');
            setFilter('all');
          } else load(false);
        }}
      />
      <div class="toast" role="status" aria-live="polite" aria-atomic="true">
        {message.text && <p>{message.text}</p>}
      </div>

      {dialog?.kind === 'create' && (
        <CreateDialog
          api={api}
          onCancel={() => closeDialog(NEW_TASK)}
          onCreated={(task, replayed) => {
            const shown = !assigned && (filter === 'all' || filter === task.status);
            if (shown) setTasks((current) => [task, ...current.filter((t) => t.taskId !== task.taskId)]);
            if (shown && list !== 'ready') setList('ready');
            const where = assigned ? '; it is yours, so it is under “My tasks”' : `; it is not ${filterLabel.toLowerCase()}, so it is not shown here`;
            closeDialog(shown ? titleId(task) : NEW_TASK, `“${task.title}” created${replayed ? ' (once, despite the retry)' : ''}${shown ? '' : where}`);
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
      {dialog?.kind === 'confirm' && (
        <ConfirmDialog
          action={dialog.action}
          task={dialog.task}
          busy={dialog.busy}
          error={dialog.error}
          onConfirm={() => drop(dialog.task, dialog.action)}
          onCancel={() => closeDialog(`task-${dialog.task.taskId}-${dialog.action}`)}
        />
      )}
      {dialog?.kind === 'conflict' && (
        <QuickConflictDialog
          mine={dialog.mine}
          current={dialog.current}
          changes={dialog.changes}
          busy={dialog.busy || busyTask === dialog.current.taskId}
          applyLabel={
            dialog.action === 'status'
              ? `${dialog.changes.status === 'completed' ? 'Complete' : 'Reopen'} version ${dialog.current.version}`
              : `${dialog.action === 'delete' ? 'Delete' : 'Decline'} version ${dialog.current.version} anyway`
          }
          onApply={() =>
            dialog.action === 'status'
              ? setStatus(dialog.current, dialog.changes.status!, dialog.current.version)
              : drop(dialog.current, dialog.action, dialog.current.version)
          }
          onCancel={() => closeDialog(titleId(dialog.current), 'The task keeps its current version')}
        />
      )}
    </>
  );
}

/** Its owner may do everything; its assignee (`assigned`) may complete, reopen or decline it. */
function TaskItem({
  task,
  assigned,
  busy,
  onToggle,
  onEdit,
  onDrop,
}: {
  task: Task;
  assigned: boolean;
  busy: boolean;
  onToggle(): void;
  onEdit(): void;
  onDrop(): void;
}) {
  const done = task.status === 'completed';
  const overdue = !done && task.dueDate !== null && Date.parse(task.dueDate) < Date.now();
  const name = <span class="visually-hidden"> “{task.title}”</span>;
  return (
    <li class={`task ${task.status}`} aria-labelledby={titleId(task)}>
      <div class="task-head">
        <h3 id={titleId(task)} tabIndex={-1}>
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
        {task.remindAt && <Reminder at={task.remindAt} completed={done} />}
        {task.completedAt && (
          <span class="completed-at">
            Completed <time dateTime={task.completedAt}>{formatDateTime(task.completedAt)}</time>
          </span>
        )}
        {assigned ? (
          <span class="shared">
            Shared with you by <code>{task.ownerId}</code>
          </span>
        ) : (
          task.assignee !== null && (
            <span class="shared">
              Assigned to <code>{task.assignee}</code>
            </span>
          )
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
          {assigned ? (
            <button type="button" id={`task-${task.taskId}-decline`} class="danger-text" onClick={onDrop}>
              Decline{name}
            </button>
          ) : (
            <>
              <button type="button" id={`task-${task.taskId}-edit`} onClick={onEdit}>
                Edit{name}
              </button>
              <button type="button" id={`task-${task.taskId}-delete`} class="danger-text" onClick={onDrop}>
                Delete{name}
              </button>
            </>
          )}
        </div>
        <p class="version">
          Version {task.version} · created <time dateTime={task.createdAt}>{formatDateTime(task.createdAt)}</time>
        </p>
      </div>
    </li>
  );
}

/** A task's reminder: a bell and the time; whether it is still to come. */
function Reminder({ at, completed }: { at: string; completed: boolean }) {
  const passed = Date.parse(at) <= Date.now();
  return (
    <span class={passed ? 'reminder passed' : 'reminder'}>
      <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
        <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
      </svg>
      Reminder <time dateTime={at}>{formatDateTime(at)}</time>
      {passed ? ' (passed)' : completed && ' (off while completed)'}
    </span>
  );
}
