/**
 * Parts of the API other releases add (SPEC §11 approvals, §12 threads, §14 schedules and usage).
 * The console offers a page only when its route answers for this user: a 404 (not on this
 * server) or 403 (not for this role) hides it.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';

export const OPTIONAL_FEATURES = {
  approvals: '/api/approvals?limit=1',
  threads: '/api/threads?limit=1',
  schedules: '/api/schedules?limit=1',
  usage: '/api/usage?groupBy=agent',
} as const;

export type Feature = keyof typeof OPTIONAL_FEATURES;

export function useFeatures(): ReadonlySet<Feature> {
  const [available, setAvailable] = useState<ReadonlySet<Feature>>(new Set());
  useEffect(() => {
    let cancelled = false;
    Promise.all(
      (Object.entries(OPTIONAL_FEATURES) as Array<[Feature, string]>).map(([name, path]) =>
        get(path).then(
          () => name,
          () => undefined,
        ),
      ),
    ).then((names) => {
      if (!cancelled) setAvailable(new Set(names.filter((n): n is Feature => n !== undefined)));
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return available;
}
