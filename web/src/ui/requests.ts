import { useCallback, useState } from 'react';
import { isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';

/**
 * What to tell the person about a failed call: `unauthorized` for a 401 when
 * given (a refused sign-in), else the server's description, or `fallback`
 * when it gave none.
 */
export const failureMessage = (caught: unknown, fallback: string, unauthorized?: string): string =>
  isApiError(caught) ? (caught.status === 401 && unauthorized !== undefined ? unauthorized : caught.message) : fallback;

export interface Requests {
  /** The message of the last refusal, for `<ErrorMessage>`. */
  error: string | null;
  setError: (message: string | null) => void;
  /** Whether a write started with `act` is under way. */
  busy: boolean;
  /** Runs `work`; a refusal becomes `error`. For reads, which keep the last error until a write clears it. */
  attempt: (work: () => Promise<void>) => Promise<void>;
  /**
   * Clears `error`, runs `work` with `busy` set, and makes a refusal `error`
   * (`unauthorized` for a 401, when given). For writes.
   */
  act: (work: () => Promise<void>, unauthorized?: string) => Promise<void>;
}

/**
 * A component's calls to the server, with the error and busy state every page
 * keeps the same way.
 *
 * @example
 * const { error, attempt } = useRequests();
 * const load = useCallback(() => attempt(async () => setSessions(await fetchSessions())), [attempt]);
 */
export function useRequests(): Requests {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = useCallback(
    async (work: () => Promise<void>, unauthorized?: string) => {
      try {
        await work();
      } catch (caught) {
        setError(failureMessage(caught, t('common.failed'), unauthorized));
      }
    },
    [t],
  );
  const act = useCallback(
    async (work: () => Promise<void>, unauthorized?: string) => {
      setBusy(true);
      setError(null);
      try {
        await attempt(work, unauthorized);
      } finally {
        setBusy(false);
      }
    },
    [attempt],
  );
  return { error, setError, busy, attempt, act };
}
