import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApi } from './api/client';
import { App } from './app';
import { loadConfig, type RuntimeConfig } from './config';
import { localSession, type Session } from './session';
import './styles.css';

/** Where live updates connect (src/live.ts): deployed, LiveUrl with the ID token; locally, /live as the acting-as user. */
function liveUrl(config: RuntimeConfig, session: Session): () => Promise<string | null> {
  if (config.auth) {
    const base = config.liveUrl;
    return async () => {
      const token = base ? await session.token() : null;
      return base && token ? `${base}?token=${encodeURIComponent(token)}` : null;
    };
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return async () => `${scheme}://${location.host}/live?caller=${encodeURIComponent(session.localCaller ?? '')}`;
}

function Root({ session, config }: { session: Session; config: RuntimeConfig }) {
  const [, rerender] = useState(0);
  useEffect(() => session.subscribe(() => rerender((n) => n + 1)), [session]);
  const api = useMemo(
    () =>
      createApi({
        token: () => session.token(),
        caller: () => session.localCaller,
        renew: () => session.renew(),
        retrying: (seconds) => window.dispatchEvent(new CustomEvent('api-retrying', { detail: { seconds } })),
      }),
    [session],
  );
  if (session.mode === 'cognito' && !session.user) return <SignIn session={session} />;
  return <App api={api} session={session} live={liveUrl(config, session)} />;
}

function SignIn({ session }: { session: Session }) {
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <h1>Tasks</h1>
      <p role={session.signInReason ? 'alert' : undefined}>{session.signInReason ?? 'Sign in to see and manage your tasks.'}</p>
      <button
        type="button"
        class="primary"
        disabled={busy}
        autoFocus
        onClick={() => {
          setBusy(true);
          session.signIn().catch(() => setBusy(false));
        }}
      >
        {busy ? 'Opening sign-in…' : 'Sign in'}
      </button>
    </main>
  );
}

async function start() {
  const root = document.getElementById('app')!;
  try {
    const config = await loadConfig();
    const session = config.auth ? await (await import('./cognito')).cognitoSession(config.auth) : localSession(config.localCaller);
    root.textContent = '';
    render(<Root session={session} config={config} />, root);
  } catch (error) {
    root.textContent = '';
    render(
      <main class="signin">
        <h1>Tasks</h1>
        <p role="alert">The app could not start: {error instanceof Error ? error.message : String(error)}</p>
      </main>,
      root,
    );
  }
}

start();
