// The task form, shared by create and edit: its values, what a submit sends, and the API's
// validation errors shown next to the field they name.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NewTask, Priority, Problem, Status, Task, TaskChanges } from './api/client';
import { fromLocalInput, timeZone, toLocalInput } from './format';

export const STATUS_LABEL: Record<Status, string> = { pending: 'Pending', in_progress: 'In progress', completed: 'Completed' };
export const PRIORITY_LABEL: Record<Priority, string> = { low: 'Low', medium: 'Medium', high: 'High' };

export interface FormValues {
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  /** datetime-local, in the user's time zone; '' for none. */
  due: string;
  /** When to be reminded: datetime-local, in the user's time zone; '' for no reminder. */
  remind: string;
  /** Tags separated by spaces or commas. */
  tags: string;
  /** The user id to share the task with, as typed (never trimmed); '' for nobody. */
  assignee: string;
}
type Field = keyof FormValues;
const FIELDS: Field[] = ['title', 'description', 'status', 'priority', 'due', 'remind', 'tags', 'assignee'];
/** The API's field names (docs/openapi.yaml) and the form field each is shown next to. */
const FIELD_OF: Record<string, Field> = {
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  dueDate: 'due',
  remindAt: 'remind',
  tags: 'tags',
  assignee: 'assignee',
};

export function valuesOf(task?: Task): FormValues {
  if (!task) return { title: '', description: '', status: 'pending', priority: 'medium', due: '', remind: '', tags: '', assignee: '' };
  const { title, description, status, priority } = task;
  return {
    title,
    description,
    status,
    priority,
    due: toLocalInput(task.dueDate),
    remind: toLocalInput(task.remindAt),
    tags: task.tags.join(' '),
    assignee: task.assignee ?? '',
  };
}

const parseTags = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function newTaskOf(values: FormValues): NewTask {
  const body: NewTask = { title: values.title, status: values.status, priority: values.priority };
  if (values.description) body.description = values.description;
  if (values.due) body.dueDate = fromLocalInput(values.due);
  if (values.remind) body.remindAt = fromLocalInput(values.remind);
  const tags = parseTags(values.tags);
  if (tags.length) body.tags = tags;
  if (values.assignee) body.assignee = values.assignee;
  return body;
}

/** Only the fields the user changed, so that an edit never overwrites what it did not touch. */
export function changesOf(initial: FormValues, values: FormValues): TaskChanges {
  const changes: TaskChanges = {};
  if (values.title !== initial.title) changes.title = values.title;
  if (values.description !== initial.description) changes.description = values.description;
  if (values.status !== initial.status) changes.status = values.status;
  if (values.priority !== initial.priority) changes.priority = values.priority;
  if (values.due !== initial.due) changes.dueDate = values.due ? fromLocalInput(values.due) : null;
  if (values.remind !== initial.remind) changes.remindAt = values.remind ? fromLocalInput(values.remind) : null;
  const tags = parseTags(values.tags);
  if (tags.join(' ') !== parseTags(initial.tags).join(' ')) changes.tags = tags;
  if (values.assignee !== initial.assignee) changes.assignee = values.assignee || null;
  return changes;
}

/** Reminder times relative to the due date; "1 day before" is the same clock time the day before. */
const REMINDER_PRESETS: [string, string, (due: Date) => void][] = [
  ['At the due time', 'at the due time', () => {}],
  ['1 hour before', '1 hour before the due time', (at) => at.setTime(at.getTime() - 3_600_000)],
  ['1 day before', '1 day before the due time', (at) => at.setDate(at.getDate() - 1)],
];

export interface ReminderPreset {
  label: string;
  /** The preset said as a sentence's end: "1 hour before the due time". */
  relation: string;
  /** datetime-local, in the user's time zone. */
  value: string;
}

/** The presets for a due date (datetime-local; none without one) whose time is still to come. */
export function reminderPresets(due: string, now = Date.now()): ReminderPreset[] {
  const dueAt = new Date(due);
  if (!due || Number.isNaN(dueAt.getTime())) return [];
  return REMINDER_PRESETS.flatMap(([label, relation, shift]) => {
    const at = new Date(dueAt);
    shift(at);
    return at.getTime() > now ? [{ label, relation, value: toLocalInput(at.toISOString()) }] : [];
  });
}

export interface FormErrors {
  fields: Partial<Record<Field, string[]>>;
  /** Errors that name no field of the form, or a problem without `errors`. */
  other: string[];
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A problem's `errors`, each next to its field (`tags[2]` next to the tags, naming the tag). */
export function errorsOf(problem: Problem | null, fallback: string, sentTags: string[] = []): FormErrors {
  const result: FormErrors = { fields: {}, other: [] };
  for (const error of problem?.errors ?? []) {
    const match = /^(\w+)(?:\[(\d+)\])?$/.exec(error.field);
    const field = match ? FIELD_OF[match[1] ?? ''] : undefined;
    if (!field) {
      result.other.push(`${error.field}: ${error.message}`);
      continue;
    }
    const index = match?.[2];
    const tag = index === undefined ? undefined : sentTags[Number(index)];
    const message = index === undefined ? sentence(error.message) : `Tag “${tag ?? Number(index) + 1}” ${error.message}`;
    (result.fields[field] ??= []).push(message);
  }
  if (!problem?.errors?.length) result.other.push(problem?.detail ? sentence(problem.detail) : fallback);
  return result;
}

interface TaskFormProps {
  id: string;
  initial: FormValues;
  errors: FormErrors | null;
  busy: boolean;
  submitLabel: string;
  onSubmit(values: FormValues): void;
  onCancel(): void;
}

export function TaskForm({ id, initial, errors, busy, submitLabel, onSubmit, onCancel }: TaskFormProps) {
  const [values, setValues] = useState(initial);
  const summary = useRef<HTMLDivElement>(null);
  const set = (field: Field) => (event: Event) =>
    setValues((v) => ({ ...v, [field]: (event.currentTarget as HTMLInputElement).value }));
  const remindAt = (remind: string) => setValues((v) => ({ ...v, remind }));
  const presets = reminderPresets(values.due);
  const relation = values.remind && reminderPresets(values.due, -Infinity).find((preset) => preset.value === values.remind)?.relation;

  // After a refused submit, focus goes to the first field in error (or the message).
  useEffect(() => {
    if (!errors) return;
    const first = FIELDS.find((field) => errors.fields[field]?.length);
    if (first) document.getElementById(`${id}-${first}`)?.focus();
    else summary.current?.focus();
  }, [errors]);

  const describedBy = (field: Field, hint?: boolean) =>
    [hint && `${id}-${field}-hint`, errors?.fields[field] && `${id}-${field}-error`].filter(Boolean).join(' ') || undefined;
  const invalid = (field: Field) => (errors?.fields[field] ? true : undefined);
  const fieldErrors = (field: Field) =>
    errors?.fields[field] && (
      <p class="field-error" id={`${id}-${field}-error`}>
        {errors.fields[field]!.join(' ')}
      </p>
    );

  /** A date field's label and input, in the user's time zone (which its hint names). */
  const dateTimeInput = (field: 'due' | 'remind', label: string) => (
    <>
      <label for={`${id}-${field}`}>
        {label} <span class="optional">(optional)</span>
      </label>
      <input
        id={`${id}-${field}`}
        name={field}
        type="datetime-local"
        value={values[field]}
        onInput={set(field)}
        aria-invalid={invalid(field)}
        aria-describedby={describedBy(field, true)}
      />
    </>
  );

  return (
    <form
      id={id}
      class="task-form"
      noValidate
      aria-busy={busy}
      onSubmit={(event) => {
        event.preventDefault();
        if (!busy) onSubmit(values);
      }}
    >
      {errors && errors.other.length > 0 && (
        <div class="form-error" role="alert" tabIndex={-1} ref={summary} id={`${id}-error`}>
          {errors.other.map((message) => (
            <p key={message}>{message}</p>
          ))}
        </div>
      )}
      <div class="field">
        <label for={`${id}-title`}>Title</label>
        <input
          id={`${id}-title`}
          name="title"
          value={values.title}
          onInput={set('title')}
          autoFocus
          autoComplete="off"
          aria-required="true"
          aria-invalid={invalid('title')}
          aria-describedby={describedBy('title')}
        />
        {fieldErrors('title')}
      </div>
      <div class="field">
        <label for={`${id}-description`}>
          Description <span class="optional">(optional)</span>
        </label>
        <textarea
          id={`${id}-description`}
          name="description"
          rows={3}
          value={values.description}
          onInput={set('description')}
          aria-invalid={invalid('description')}
          aria-describedby={describedBy('description')}
        />
        {fieldErrors('description')}
      </div>
      <div class="field-row">
        <div class="field">
          <label for={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            name="status"
            value={values.status}
            onChange={set('status')}
            aria-invalid={invalid('status')}
            aria-describedby={describedBy('status')}
          >
            {Object.entries(STATUS_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          {fieldErrors('status')}
        </div>
        <div class="field">
          <label for={`${id}-priority`}>Priority</label>
          <select
            id={`${id}-priority`}
            name="priority"
            value={values.priority}
            onChange={set('priority')}
            aria-invalid={invalid('priority')}
            aria-describedby={describedBy('priority')}
          >
            {Object.entries(PRIORITY_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          {fieldErrors('priority')}
        </div>
      </div>
      <div class="field">
        {dateTimeInput('due', 'Due')}
        <p class="hint" id={`${id}-due-hint`}>
          In your time zone, {timeZone}. Empty for no due date.
        </p>
        {fieldErrors('due')}
      </div>
      <div class="field">
        {dateTimeInput('remind', 'Reminder')}
        <p class="hint" id={`${id}-remind-hint`}>
          In your time zone, {timeZone}. You and the assignee, if any, are reminded then, unless the task is completed.
          {!values.due && ' With a due date, you can pick a time relative to it.'}
        </p>
        {(presets.length > 0 || values.remind) && (
          <div class="presets" role="group" aria-label="Quick choices">
            {presets.map((preset) => (
              <button type="button" key={preset.label} onClick={() => remindAt(preset.value)}>
                {preset.label}
              </button>
            ))}
            {values.remind && (
              <button
                type="button"
                onClick={() => {
                  remindAt('');
                  // This button goes with the reminder: focus stays in the field.
                  document.getElementById(`${id}-remind`)?.focus();
                }}
              >
                No reminder
              </button>
            )}
          </div>
        )}
        <p class="hint" role="status">
          {relation && `That is ${relation}.`}
        </p>
        {fieldErrors('remind')}
      </div>
      <div class="field">
        <label for={`${id}-tags`}>
          Tags <span class="optional">(optional)</span>
        </label>
        <input
          id={`${id}-tags`}
          name="tags"
          value={values.tags}
          onInput={set('tags')}
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          aria-invalid={invalid('tags')}
          aria-describedby={describedBy('tags', true)}
        />
        <p class="hint" id={`${id}-tags-hint`}>
          Separated by spaces or commas: lowercase letters, digits, - and _; up to 10.
        </p>
        {fieldErrors('tags')}
      </div>
      <div class="field">
        <label for={`${id}-assignee`}>
          Assignee (user id) <span class="optional">(optional)</span>
        </label>
        <input
          id={`${id}-assignee`}
          name="assignee"
          value={values.assignee}
          onInput={set('assignee')}
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          aria-invalid={invalid('assignee')}
          aria-describedby={describedBy('assignee', true)}
        />
        <p class="hint" id={`${id}-assignee-hint`}>
          Shares the task with one other user, who can see it, complete or reopen it, and decline it. Empty: not shared.
        </p>
        {fieldErrors('assignee')}
      </div>
      <div class="actions">
        <button type="submit" class="primary" aria-disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
