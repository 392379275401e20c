import { useEffect, useState } from 'preact/hooks';

/** The page's hash (`#/account`), kept current on hashchange: a reload or a shared link opens the same page. */
export function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}
