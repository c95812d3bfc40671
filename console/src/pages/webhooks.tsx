/** Webhooks (superusers): register (the secret shown once), enable or disable, delete; deliveries and retry. */
import { errorOf } from '@roster/client';
import { useState } from 'preact/hooks';
import { formatTime } from '../logic/format.js';
import { navigate } from '../router.js';
import { api } from '../session.js';
import type { Webhook } from '../types.js';
import {
  CheckField,
  ConfirmButton,
  ErrorBox,
  Link,
  Loading,
  OnceSecret,
  PageTitle,
  TextField,
  useAction,
  useLoad,
} from '../ui.js';

export function WebhooksPage() {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/webhooks');
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, []);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('*');
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<string | undefined>();
  const action = useAction();
  return (
    <section>
      <PageTitle>Webhooks</PageTitle>
      <ErrorBox error={list.error} />
      {list.loading && <Loading />}
      {secret && <OnceSecret label="The new webhook's signing secret." value={secret} />}
      {list.data && list.data.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Enabled</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((hook) => (
                <tr key={hook.id}>
                  <td>
                    <Link to={`/webhooks/${hook.id}`}>{hook.url}</Link>
                  </td>
                  <td>{hook.event_types.join(', ')}</td>
                  <td>{hook.enabled ? 'yes' : 'no'}</td>
                  <td>{formatTime(hook.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data?.length === 0 && <p>No webhook.</p>}
      <form
        class="card"
        aria-labelledby="new-webhook"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const { data, error, response } = await api().api.POST('/api/v1/webhooks', {
              body: {
                url,
                event_types: types
                  .split(',')
                  .map((t) => t.trim())
                  .filter((t) => t !== ''),
                ...(description ? { description } : {}),
              },
            });
            if (!response.ok || !data) throw errorOf(response, error);
            setSecret(data.secret);
            setUrl('');
            list.reload();
          });
        }}
      >
        <h2 id="new-webhook">New webhook</h2>
        <TextField
          label="URL"
          type="url"
          value={url}
          onInput={setUrl}
          hint="https://, or http:// on loopback"
          required
        />
        <TextField
          label="Event types"
          value={types}
          onInput={setTypes}
          hint="Comma separated: user.*, organization.created, or *"
          required
        />
        <TextField label="Description" value={description} onInput={setDescription} />
        <ErrorBox error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          Register webhook
        </button>
      </form>
    </section>
  );
}

export function WebhookPage({ id }: { id: string }) {
  const hook = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/webhooks/{webhook_id}', {
      params: { path: { webhook_id: id } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const deliveries = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/webhooks/{webhook_id}/deliveries', {
      params: { path: { webhook_id: id }, query: { limit: 100 } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const action = useAction();
  if (hook.error)
    return (
      <section>
        <PageTitle>Webhook</PageTitle>
        <ErrorBox error={hook.error} />
      </section>
    );
  if (!hook.data) return <Loading />;
  const update = (body: Partial<Pick<Webhook, 'enabled'>>) =>
    action.run(async () => {
      const { data, error, response } = await api().api.PATCH('/api/v1/webhooks/{webhook_id}', {
        params: { path: { webhook_id: id } },
        body,
      });
      if (!response.ok || !data) throw errorOf(response, error);
      hook.set(data);
    });
  return (
    <section>
      <PageTitle>Webhook</PageTitle>
      <dl class="facts">
        <dt>URL</dt>
        <dd>{hook.data.url}</dd>
        <dt>Events</dt>
        <dd>{hook.data.event_types.join(', ')}</dd>
        <dt>Description</dt>
        <dd>{hook.data.description ?? ''}</dd>
      </dl>
      <ErrorBox error={action.error} />
      <div class="actions">
        <CheckField label="Enabled" checked={hook.data.enabled} onChange={(enabled) => void update({ enabled })} />
        <ConfirmButton
          label="Delete webhook"
          onConfirm={() =>
            void action.run(async () => {
              const { error, response } = await api().api.DELETE('/api/v1/webhooks/{webhook_id}', {
                params: { path: { webhook_id: id } },
              });
              if (!response.ok) throw errorOf(response, error);
              navigate('/webhooks');
            })
          }
        />
      </div>
      <h2>Deliveries</h2>
      <button type="button" onClick={deliveries.reload}>
        Refresh
      </button>
      <ErrorBox error={deliveries.error} />
      {deliveries.data && deliveries.data.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Answer</th>
                <th scope="col">Attempts</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <code>{delivery.event_id.slice(0, 8)}</code>
                  </td>
                  <td>{delivery.status}</td>
                  <td>{delivery.response_code ?? ''}</td>
                  <td>{delivery.attempts}</td>
                  <td>{formatTime(delivery.next_attempt)}</td>
                  <td>{delivery.last_error ?? ''}</td>
                  <td>
                    {delivery.status !== 'succeeded' && (
                      <button
                        type="button"
                        aria-label={`Retry the delivery of event ${delivery.event_id}`}
                        onClick={() =>
                          void action.run(async () => {
                            const { error, response } = await api().api.POST(
                              '/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry',
                              { params: { path: { webhook_id: id, delivery_id: delivery.id } } },
                            );
                            if (!response.ok) throw errorOf(response, error);
                            deliveries.reload();
                          })
                        }
                      >
                        Retry now
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.data?.length === 0 && <p>No delivery yet.</p>}
    </section>
  );
}
