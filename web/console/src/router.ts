import { useEffect, useState } from 'preact/hooks';

/** The console's pages are hash routes (`#/jobs/job_…`, `#/account`), so a reload or a shared link opens the same page. */
export type Route = { page: 'home' } | { page: 'account' } | { page: 'job'; id: string };

export function routeOf(hash: string): Route {
  if (hash === '#/account') return { page: 'account' };
  const m = /^#\/jobs\/([^/?#]+)$/.exec(hash);
  return m ? { page: 'job', id: decodeURIComponent(m[1]) } : { page: 'home' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const on = () => {
      setRoute(routeOf(location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
