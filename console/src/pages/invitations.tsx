/** The signed-in account's pending invitations: accept (it becomes a member) or decline. */
import { errorOf } from '@roster/client';
import { formatTime } from '../logic/format.js';
import { api, rolesChanged } from '../session.js';
import { ErrorBox, Loading, PageTitle, useAction, useLoad } from '../ui.js';

export function MyInvitationsPage() {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/users/me/invitations');
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, []);
  const action = useAction();
  const answer = (id: string, accept: boolean) =>
    action.run(async () => {
      const path = accept
        ? '/api/v1/invitations/{invitation_id}/accept'
        : '/api/v1/invitations/{invitation_id}/decline';
      const { error, response } = await api().api.POST(path, { params: { path: { invitation_id: id } } });
      if (!response.ok) throw errorOf(response, error);
      rolesChanged();
      list.reload();
    });
  return (
    <section>
      <PageTitle>My invitations</PageTitle>
      <ErrorBox error={list.error ?? action.error} />
      {list.loading && <Loading />}
      {list.data?.length === 0 && <p>No pending invitation.</p>}
      {list.data && list.data.length > 0 && (
        <ul class="plain">
          {list.data.map((invitation) => (
            <li key={invitation.id} class="card">
              <p>
                Join <strong>{invitation.organization_name}</strong> as {invitation.role} (until{' '}
                {formatTime(invitation.expires)})
              </p>
              <div class="actions">
                <button
                  type="button"
                  class="primary"
                  disabled={action.busy}
                  onClick={() => void answer(invitation.id, true)}
                >
                  Accept
                </button>
                <button type="button" disabled={action.busy} onClick={() => void answer(invitation.id, false)}>
                  Decline
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
