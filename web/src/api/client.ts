// The API client: openapi-fetch over the types generated from docs/openapi.yaml (schema.d.ts),
// so a request or a response that the contract does not allow does not compile. Around it,
// what the contract asks of a careful client: the caller's token, a retry after a 503's
// Retry-After, one token refresh after a 401, and errors as problem+json.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Task = components['schemas']['Task'];
export type NewTask = components['schemas']['NewTask'];
export type TaskChanges = components['schemas']['TaskChanges'];
export type Status = components['schemas']['Status'];
export type Priority = components['schemas']['Priority'];
export type Problem = components['schemas']['Problem'];
export type TaskList = components['schemas']['TaskList'];
export type Scope = 'owned' | 'assigned';

/** The API answered with an error status; `problem` is its problem+json body, if any. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? `the server answered ${status}`);
  }
}

/** No answer at all: offline, or the connection dropped. The request may or may not have been applied. */
export class NetworkError extends Error {}

export interface ClientHooks {
  token(): Promise<string | null>;
  /** Locally: the user id to act as, sent as X-Local-Caller; null when deployed. */
  caller(): string | null;
  renew(): Promise<boolean>;
  /** A 503 is retried after its Retry-After; the page says so while it waits. */
  retrying(seconds: number): void;
}

const MAX_RETRIES = 3;
const MAX_WAIT_SECONDS = 30;

/** Retry-After in seconds (delay-seconds or an HTTP date), within 0..30; 1 when absent. */
function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === '') return 1;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) ? Math.min(Math.max(Math.ceil(seconds), 0), MAX_WAIT_SECONDS) : 1;
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).title === 'string';
}

export function createApi(hooks: ClientHooks) {
  async function send(request: Request): Promise<Response> {
    // Read once, so that each attempt sends the same bytes (and the same Idempotency-Key).
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      const headers = new Headers(request.headers);
      const token = await hooks.token();
      if (token) headers.set('Authorization', token);
      const caller = hooks.caller();
      if (caller !== null) headers.set('X-Local-Caller', caller);
      let response: Response;
      try {
        response = await fetch(request.url, { method: request.method, headers, body: body || undefined });
      } catch (error) {
        throw new NetworkError(error instanceof Error ? error.message : String(error));
      }
      if (response.status === 401 && token && !renewed) {
        renewed = true;
        if (await hooks.renew()) continue;
      }
      if (response.status === 503 && attempt <= MAX_RETRIES) {
        const seconds = retryAfterSeconds(response.headers.get('Retry-After'));
        hooks.retrying(seconds);
        await new Promise((wake) => setTimeout(wake, seconds * 1000));
        continue;
      }
      return response;
    }
  }

  const client = createClient<paths>({ baseUrl: window.location.origin, fetch: send });

  async function check<T>(result: Promise<{ data?: T; error?: unknown; response: Response }>) {
    const { data, error, response } = await result;
    if (!response.ok) {
      throw new ApiError(response.status, isProblem(error) ? error : null);
    }
    return { data: data as T, response };
  }

  return {
    async list(query: { scope?: Scope; status?: Status; nextToken?: string; limit?: number }): Promise<TaskList> {
      return (await check(client.GET('/tasks', { params: { query } }))).data;
    },
    /** A retry with the same key and body gives back the task the first request created. */
    async create(body: NewTask, idempotencyKey: string): Promise<{ task: Task; replayed: boolean }> {
      const { data, response } = await check(
        client.POST('/tasks', { body, params: { header: { 'Idempotency-Key': idempotencyKey } } }),
      );
      return { task: data.task, replayed: response.headers.get('Idempotent-Replayed') === 'true' };
    },
    async get(taskId: string): Promise<Task> {
      return (await check(client.GET('/tasks/{taskId}', { params: { path: { taskId } } }))).data.task;
    },
    /** Applies only to `version` (If-Match); else ApiError 412. */
    async update(taskId: string, changes: TaskChanges, version: number): Promise<Task> {
      const params = { path: { taskId }, header: { 'If-Match': `"${version}"` } };
      return (await check(client.PATCH('/tasks/{taskId}', { params, body: changes }))).data.task;
    },
    async remove(taskId: string, version: number): Promise<void> {
      await check(client.DELETE('/tasks/{taskId}', { params: { path: { taskId }, header: { 'If-Match': `"${version}"` } } }));
    },
    /** Starts deleting the caller's account (202); asking again is safe and starts nothing more. */
    async deleteAccount(): Promise<void> {
      await check(client.DELETE('/account'));
    },
  };
}

export type Api = ReturnType<typeof createApi>;
