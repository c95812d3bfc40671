/** The device-login approval page: the code a command-line client shows, then approve or deny. */
import { errorOf } from '@roster/client';
import { useState } from 'preact/hooks';
import type { Viewer } from '../logic/permissions.js';
import { api } from '../session.js';
import { ErrorBox, Notice, PageTitle, TextField, useAction } from '../ui.js';

export function DevicePage({ viewer, query }: { viewer: Viewer; query: URLSearchParams }) {
  const [code, setCode] = useState(query.get('user_code') ?? '');
  const [done, setDone] = useState<string | undefined>();
  const action = useAction();
  const answer = (approve: boolean) =>
    action.run(async () => {
      const { error, response } = await api().api.POST('/api/v1/auth/device/verify', {
        body: { user_code: code.trim(), approve },
      });
      if (!response.ok) throw errorOf(response, error);
      setDone(
        approve
          ? `Approved: the device is now signed in as ${viewer.me.username}. You can close this page.`
          : 'Denied: the device was not signed in.',
      );
    });
  return (
    <section class="narrow">
      <PageTitle>Sign in a device</PageTitle>
      <p>
        A command-line client asks to sign in as <strong>{viewer.me.username}</strong>. Approve only if you started it
        and the code below is the one it shows.
      </p>
      {done ? (
        <Notice>{done}</Notice>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void answer(true);
          }}
        >
          <TextField label="Code shown by the device" value={code} onInput={setCode} autoComplete="off" required />
          <ErrorBox error={action.error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={action.busy || code.trim() === ''}>
              Approve
            </button>
            <button
              type="button"
              class="danger"
              disabled={action.busy || code.trim() === ''}
              onClick={() => void answer(false)}
            >
              Deny
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
