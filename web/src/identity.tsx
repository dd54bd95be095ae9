// Who the page acts as: the user's own id (the Cognito `sub`, or locally the chosen caller)
// with a copy button, since sharing a task takes the other user's id; and, locally only,
// "Acting as": the user id sent as X-Local-Caller, so that sharing can be tried with two.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Session, userIdOf } from './session';

export function Identity({ session, announce }: { session: Session; announce(text: string): void }) {
  const id = userIdOf(session);
  const code = useRef<HTMLElement>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(id!);
      announce('Your user id is copied');
    } catch {
      // No clipboard (permission refused, say): select the id, so a keystroke copies it.
      const range = document.createRange();
      range.selectNodeContents(code.current!);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      announce('Your user id could not be copied; it is selected, so press Ctrl+C (⌘C) to copy it');
    }
  }

  return (
    <section class="identity" aria-label="You">
      {session.mode === 'local' && <ActingAs session={session} announce={announce} />}
      {id && (
        <p class="me">
          Your user id{' '}
          <code id="my-id" ref={code}>
            {id}
          </code>{' '}
          <button type="button" class="link" onClick={copy}>
            Copy<span class="visually-hidden"> your user id</span>
          </button>
          <span class="hint">Whoever shares a task with you needs it.</span>
        </p>
      )}
    </section>
  );
}

function ActingAs({ session, announce }: { session: Session; announce(text: string): void }) {
  const [draft, setDraft] = useState(session.localCaller ?? '');
  const [error, setError] = useState('');
  useEffect(() => setDraft(session.localCaller ?? ''), [session.localCaller]);

  // A value that an HTTP header cannot carry as typed (a character beyond Latin-1, or
  // surrounding spaces, which fetch would strip) would act as someone else than it says.
  const sendable = (value: string) => {
    try {
      return new Headers({ 'X-Local-Caller': value }).get('X-Local-Caller') === value;
    } catch {
      return false;
    }
  };

  return (
    <form
      class="acting"
      onSubmit={(event) => {
        event.preventDefault();
        if (draft && !sendable(draft)) {
          setError('This user id cannot be sent in the X-Local-Caller header as typed.');
          return;
        }
        setError('');
        if (draft === session.localCaller) return;
        session.actAs(draft);
        announce(`Now acting as ${session.localCaller}`);
      }}
    >
      <label for="acting-as">Acting as</label>
      <input
        id="acting-as"
        value={draft}
        onInput={(event) => setDraft(event.currentTarget.value)}
        autoComplete="off"
        autoCapitalize="none"
        spellcheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'acting-as-hint acting-as-error' : 'acting-as-hint'}
      />
      <button type="submit">Switch</button>
      <p class="hint" id="acting-as-hint">
        Local only: requests act as this user id (X-Local-Caller header). Empty: make dev’s own caller.
      </p>
      {error && (
        <p class="field-error" id="acting-as-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
