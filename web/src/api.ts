/** A refusal from the server, in Zendesk's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Sent as `X-CSRF-Token` on writes made with a cookie. */
  csrfToken?: string | null;
}

/**
 * Calls the server's JSON API with the page's cookies; throws `ApiError` with
 * the server's code and description on a refusal.
 *
 * @example
 * const { user } = await api<{ user: User }>('/api/v2/users/me.json');
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.csrfToken !== undefined && options.csrfToken !== null) headers['x-csrf-token'] = options.csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'The server could not be reached. Check your connection and try again.', undefined);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): the status speaks for itself.
  }
  if (!response.ok) {
    const body = (parsed ?? {}) as { error?: string; description?: string; details?: Record<string, unknown> };
    throw new ApiError(response.status, body.error ?? `HTTP${response.status}`, body.description ?? response.statusText, body.details);
  }
  return parsed as T;
}

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;
