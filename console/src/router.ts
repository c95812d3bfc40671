/** Page addresses under /admin, with the History API (no reloads between pages). */
import { useEffect, useState } from 'preact/hooks';
import { adminPath } from './session.js';

export { match } from './logic/match.js';

const listeners = new Set<() => void>();

/** The page path after `/admin` (`/users/123`), and its query. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const at = location.pathname.indexOf('/admin');
  const path = at >= 0 ? location.pathname.slice(at + '/admin'.length) : location.pathname;
  return { path: path === '' ? '/' : path, query: new URLSearchParams(location.search) };
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = adminPath(path);
  if (options.replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  for (const listener of listeners) listener();
  // A new page starts at the top, with the focus on its heading (for keyboards and screen readers).
  window.scrollTo(0, 0);
}

export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
