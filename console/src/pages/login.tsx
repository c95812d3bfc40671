/** Sign in with a username (or email) and password, or through single sign-on when the server has it. */
import { useState } from 'preact/hooks';
import { ErrorBox, PageTitle, TextField, useAction } from '../ui.js';
import { signIn, ssoLoginUrl } from '../session.js';

/** The provider's name when single sign-on is configured (the server writes it into the page). */
function ssoProvider(): string | undefined {
  const content = document.querySelector('meta[name="roster-sso"]')?.getAttribute('content');
  return content ? content : undefined;
}

export function LoginPage({ onSignedIn, ssoError }: { onSignedIn: () => void; ssoError?: string | undefined }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const sso = ssoProvider();
  return (
    <section class="narrow">
      <PageTitle>Sign in to Roster</PageTitle>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(() => signIn(username, password)).then((done) => done && onSignedIn());
        }}
      >
        <TextField label="Username or email" value={username} onInput={setUsername} autoComplete="username" required />
        <TextField
          label="Password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          required
        />
        <ErrorBox error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          Sign in
        </button>
      </form>
      {ssoError && (
        <p class="error" role="alert">
          Single sign-on failed: {ssoError}
        </p>
      )}
      {sso && (
        <p>
          <button type="button" class="primary" onClick={() => location.assign(ssoLoginUrl())}>
            Sign in with {sso}
          </button>
        </p>
      )}
    </section>
  );
}
