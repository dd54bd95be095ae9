// Live updates (docs/live-updates.md): a WebSocket whose frames are hints that a task changed
// or left the user's view. A hint names the task, never its content: the app re-reads it
// through the REST API. Deployed, the socket is config.json's liveUrl with the ID token in
// `token`; locally, this origin's /live (vite proxies it to tools/local_websocket.py) with the
// acting-as user in `caller`.
//
// The socket pings every 5 minutes (the gateway closes one idle for 10); on close or error it
// reconnects after 1 s doubling to 30 s, with jitter; after a reconnection, or when the page
// wakes (visible again, back online), the app re-reads its list, since hints are not replayed.

export type Hint = { type: 'task.changed'; taskId: string; version: number } | { type: 'task.removed'; taskId: string };

export interface LiveHandlers {
  /** The URL to connect to (a fresh token each time), or null: no live updates. */
  url(): Promise<string | null>;
  hint(hint: Hint): void;
  /** Hints may have been missed (reconnected, or the page woke): re-read the list. */
  resync(): void;
  /** Connected or not (the page shows "offline — reconnecting" while not). */
  connected(open: boolean): void;
}

export const PING_MS = 5 * 60 * 1000;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/** The wait before reconnection attempt `attempt` (0-based): half to all of 1 s · 2^attempt, at most 30 s. */
export const backoff = (attempt: number, random = Math.random) =>
  Math.round(Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt) * (0.5 + random() / 2));

export function parseHint(data: unknown): Hint | null {
  if (typeof data !== 'string') return null;
  try {
    const frame = JSON.parse(data) as Record<string, unknown>;
    if (typeof frame?.taskId !== 'string') return null;
    if (frame.type === 'task.changed' && typeof frame.version === 'number')
      return { type: 'task.changed', taskId: frame.taskId, version: frame.version };
    if (frame.type === 'task.removed') return { type: 'task.removed', taskId: frame.taskId };
  } catch {
    // Not JSON: ignored, as is every frame that is not a hint (pong).
  }
  return null;
}

/** Connects and keeps connecting until the returned function is called. */
export function connectLive(handlers: LiveHandlers): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let everOpen = false;
  let opening = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;

  async function open() {
    clearTimeout(retry);
    retry = undefined;
    if (stopped || socket || opening) return;
    let url: string | null;
    opening = true;
    try {
      url = await handlers.url();
    } catch {
      scheduleRetry();
      return;
    } finally {
      opening = false;
    }
    if (stopped || !url || socket) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      handlers.connected(true);
      if (everOpen) handlers.resync();
      everOpen = true;
      clearInterval(ping);
      ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), PING_MS);
    };
    ws.onmessage = (event) => {
      const hint = parseHint(event.data);
      if (hint && socket === ws) handlers.hint(hint);
    };
    ws.onerror = () => ws.close();
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      clearInterval(ping);
      if (stopped) return;
      handlers.connected(false);
      scheduleRetry();
    };
  }

  function scheduleRetry() {
    if (stopped || retry !== undefined) return;
    retry = setTimeout(open, backoff(attempt++));
  }

  // Waking from sleep or coming back online: connect now if the socket is gone (and re-read
  // once it opens); if it is open, hints may still have been lost meanwhile: re-read.
  function wake() {
    if (stopped || document.visibilityState === 'hidden') return;
    if (socket?.readyState === WebSocket.OPEN) handlers.resync();
    else if (!socket) {
      attempt = 0;
      open();
    }
  }
  const onVisibility = () => wake();
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('online', wake);
  open();

  return () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(ping);
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('online', wake);
    const ws = socket;
    socket = null;
    ws?.close();
  };
}
