import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApi } from './api/client';
import { App } from './app';
import { loadConfig } from './config';
import { localSession, type Session } from './session';
import './styles.css';

function Root({ session }: { session: Session }) {
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
  return <App api={api} session={session} />;
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
    render(<Root session={session} />, root);
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
