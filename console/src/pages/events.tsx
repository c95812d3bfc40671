/** The audit log: filters, older pages, and live follow (long polls of `wait`). */
import { errorOf, type EventRead } from '@roster/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { nextCursor } from '../logic/filters.js';
import { formatTime, formatValue } from '../logic/format.js';
import { navigate } from '../router.js';
import { api } from '../session.js';
import { CheckField, ErrorBox, Link, Loading, PageTitle, TextField } from '../ui.js';

const FILTERS = ['type', 'actor_id', 'target_id', 'organization_id', 'since', 'until'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const LABELS: Record<keyof Filters, string> = {
  type: 'Types',
  actor_id: 'Actor id',
  target_id: 'Target id',
  organization_id: 'Organization id',
  since: 'Since',
  until: 'Until',
};
const HINTS: Partial<Record<keyof Filters, string>> = {
  type: 'Comma separated; user.* for a family',
  since: 'ISO time, e.g. 2026-12-01T00:00:00Z',
};
const PAGE = 100;

function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((key) => [key, query.get(key) ?? ''])) as Filters;
}

function queryOf(filters: Filters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value.trim() !== ''));
}

async function fetchEvents(filters: Filters, after: string | undefined, wait: number, signal?: AbortSignal) {
  const { data, error, response } = await api().api.GET('/api/v1/events', {
    params: { query: { ...queryOf(filters), limit: PAGE, ...(after ? { after } : {}), ...(wait ? { wait } : {}) } },
    signal,
  });
  if (!response.ok || !data) throw errorOf(response, error);
  return { events: data, next: nextCursor(response.headers.get('link')) };
}

export function EventsPage({ query }: { query: URLSearchParams }) {
  const applied = filtersOf(query);
  const key = new URLSearchParams(queryOf(applied)).toString();
  const [draft, setDraft] = useState<Filters>(applied);
  const [events, setEvents] = useState<EventRead[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [follow, setFollow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [arrived, setArrived] = useState(0);
  const cursorRef = useRef<string | undefined>(undefined);

  /** Adds a page after what is shown (each event once), and moves the cursor past it. */
  const append = (page: { events: EventRead[]; next: string | undefined }) => {
    setEvents((shown) => {
      const seen = new Set(shown.map((e) => e.id));
      return [...shown, ...page.events.filter((e) => !seen.has(e.id))];
    });
    cursorRef.current = page.next ?? page.events[page.events.length - 1]?.id ?? cursorRef.current;
    setCursor(cursorRef.current);
  };

  // Oldest first: the first page, then "more" until the end of the feed.
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    setEvents([]);
    fetchEvents(applied, undefined, 0).then(
      (page) => {
        if (!live) return;
        setEvents(page.events);
        const last = page.events[page.events.length - 1]?.id;
        cursorRef.current = page.next ?? last;
        setCursor(cursorRef.current);
        setMore(page.next !== undefined);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!live) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key]);

  // Live follow: wait for what comes after the last event shown, again and again.
  useEffect(() => {
    if (!follow || loading) return;
    const abort = new AbortController();
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          const page = await fetchEvents(applied, cursorRef.current, 25, abort.signal);
          if (page.events.length > 0) {
            append(page);
            setArrived((n) => n + page.events.length);
          }
        } catch (caught) {
          if (abort.signal.aborted) return;
          setError(caught);
          setFollow(false);
          return;
        }
      }
    })();
    return () => abort.abort();
  }, [follow, loading, key]);

  return (
    <section>
      <PageTitle>Events</PageTitle>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          const params = new URLSearchParams(queryOf(draft)).toString();
          navigate(`/events${params ? `?${params}` : ''}`, { replace: true });
        }}
      >
        {FILTERS.map((name) => (
          <TextField
            key={name}
            label={LABELS[name]}
            value={draft[name]}
            hint={HINTS[name]}
            onInput={(value) => setDraft({ ...draft, [name]: value })}
          />
        ))}
        <div class="actions">
          <button type="submit" class="primary">
            Apply
          </button>
        </div>
      </form>
      <CheckField
        label="Follow live"
        checked={follow}
        onChange={(on) => {
          setArrived(0);
          setFollow(on);
        }}
      />
      <p class="muted" role="status">
        {follow ? `Following: ${arrived} new event${arrived === 1 ? '' : 's'} since.` : ''}
      </p>
      <ErrorBox error={error} />
      {loading && <Loading />}
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Events, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td>{formatTime(event.occurred)}</td>
                <td>{event.type}</td>
                <td>{event.actor ? `${event.actor.username ?? event.actor.id} (${event.actor.kind})` : ''}</td>
                <td>
                  {event.target?.type === 'user' ? (
                    <Link to={`/users/${event.target.id}`}>user {event.target.id.slice(0, 8)}</Link>
                  ) : event.target ? (
                    `${event.target.type} ${event.target.id.slice(0, 8)}`
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  {Object.entries(event.changes ?? {})
                    .map(([field, pair]) => {
                      const [before, after] = Array.isArray(pair) ? pair : [undefined, pair];
                      return `${field}: ${formatValue(before)} → ${formatValue(after)}`;
                    })
                    .join('; ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && events.length === 0 && <p>No event matches.</p>}
      {more && !follow && (
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void fetchEvents(applied, cursor, 0)
              .then((page) => {
                append(page);
                setMore(page.next !== undefined);
              }, setError)
              .finally(() => setBusy(false));
          }}
        >
          Show more (newer events)
        </button>
      )}
    </section>
  );
}
