/**
 * Every error code Riposte answers with, declared once: its HTTP status,
 * what the caller should do about it in general (each error's own message
 * says it for the case at hand), and the exit code of `riposte` when a
 * command stops on it. The OpenAPI document lists, for each route, the codes
 * of the statuses it declares.
 */
export interface ErrorSpec {
  status: number;
  /** What to do, in one sentence, whatever the case. */
  action: string;
  /** `riposte` exits with this: 2 the command or its input, 1 Riposte or its data, 75 try again later (EX_TEMPFAIL). */
  exitCode: 1 | 2 | 75;
}

const input = (status: number, action: string): ErrorSpec => ({ status, action, exitCode: 2 });
const internal = (action: string): ErrorSpec => ({ status: 500, action, exitCode: 1 });
const later = (status: number, action: string): ErrorSpec => ({ status, action, exitCode: 75 });

export const ERROR_CATALOGUE = {
  // Requests
  InvalidJSON: input(400, 'Send a JSON body.'),
  UnsupportedMediaType: input(415, 'Send the body as application/json.'),
  PayloadTooLarge: input(413, 'Send less data per request.'),
  InvalidParameters: input(400, 'Correct the named parameter and send the request again.'),
  InvalidEndpoint: input(404, 'Check the method and path against /docs.'),
  BadRequest: input(400, 'Correct the request as the message says.'),
  MethodNotAllowed: input(405, 'Use a method the path accepts (see /docs).'),
  NotAcceptable: input(406, 'Accept application/json.'),
  RequestTimeout: input(408, 'Send the whole request promptly.'),
  UriTooLong: input(414, 'Send a shorter URL; put long data in the body.'),
  AccountNotFound: input(404, "Address the account's own host (its subdomain or mapped domain)."),
  HostNotServed: input(404, 'Use the base domain, an account subdomain or its mapped domain.'),
  RecordNotFound: input(404, 'Check the id and the account you are addressing.'),
  RecordInvalid: input(422, 'Correct the fields named in details and send it again.'),
  DuplicateValue: input(409, 'Use a value not taken yet.'),
  CommandFailed: input(400, 'Correct the command as its message says; `riposte <verb> --help` lists its options.'),
  // Authentication and permission
  Unauthorized: input(401, 'Sign in, or send a valid API token or OAuth token for this account.'),
  InvalidCredentials: input(401, 'Check the email and password, or reset the password.'),
  InvalidToken: input(401, 'Start again from the sign-in page: the link or step has expired or was used.'),
  InvalidSsoToken: input(401, "Sign in again through the account's identity provider."),
  InvalidCredentialType: input(400, 'Call it with the kind of credential the endpoint is about.'),
  InvalidCsrfToken: input(403, "Send the session's CSRF token (authenticity_token) with writes."),
  Forbidden: input(403, 'Use a principal with the role or scope the action needs.'),
  PasswordAccessDisabled: input(401, 'Use an API token or OAuth token, or ask an admin to allow password access.'),
  PasswordChangeRequired: input(401, 'Set a new password at the sign-in page; API tokens and OAuth keep working meanwhile.'),
  PasswordApiAccessRevoked: input(
    401,
    'Set a new password (sign-in page or reset), or use an API token or OAuth token, which keep working.',
  ),
  SsoNotEnabled: input(403, 'Ask an admin to turn on single sign-on, or sign in with a password.'),
  SsoUserConflict: input(409, 'Ask an admin to resolve the user the identity provider names.'),
  StaffAccessNotGranted: input(403, 'Ask the account to grant staff access.'),
  StaffAccessUnavailable: input(422, 'Grant staff access once the account is active.'),
  InvalidClient: input(400, 'Use the client_id the account admin registered.'),
  InvalidRedirectUri: input(400, 'Use a redirect URI registered for the client, exactly.'),
  // The OAuth token endpoint answers in RFC 6749's own codes.
  invalid_request: input(400, 'Send each token parameter once, as the grant type requires.'),
  invalid_client: input(401, "Authenticate the client with its id and secret (HTTP Basic or the body's client_id and client_secret)."),
  invalid_grant: input(400, 'Start the authorization again: the code or refresh token is invalid, expired or used.'),
  unsupported_grant_type: input(400, 'Use authorization_code, refresh_token or password.'),
  invalid_scope: input(400, 'Ask only for scopes the client may have.'),
  // Passwords
  CurrentPasswordIncorrect: input(422, 'Enter the password you sign in with now, or reset it.'),
  PasswordPolicyViolation: input(422, 'Choose a password that meets the rules the message names.'),
  PasswordNotAllowed: input(422, 'Sign this user in through single sign-on; it cannot have a password.'),
  PasswordChangeConflict: input(409, 'Read the user again and retry.'),
  TooManyAttempts: later(429, 'Wait the Retry-After seconds, then try again.'),
  TooManyRequests: later(429, 'Wait the Retry-After seconds, then try again.'),
  ServiceBusy: later(503, 'Retry after the Retry-After seconds.'),
  DatabaseUnavailable: later(
    503,
    'Retry after the Retry-After seconds (the database is failing over or restarting). A write may have been applied: read before repeating one that is not idempotent.',
  ),
  // States
  IllegalTransition: input(409, 'Check the current state; only the transitions the message lists are allowed.'),
  AlreadyInState: input(409, 'Nothing to do: it is already in that state.'),
  AlreadyDisabled: input(409, 'Nothing to do: it is already disabled.'),
  IncidentClosed: input(409, 'Declare a new incident.'),
  CampaignNotDue: input(409, 'Wait for the announced start, or start it now with --now.'),
  TaskAlreadyDone: input(409, 'Nothing to do: the task is done.'),
  ExposureAlreadyRemoved: input(409, 'Nothing to do: the exposure is gone.'),
  ScopeNotFound: input(404, 'Add an exposure to the incident first.'),
  ScopeMissing: input(409, 'Add an exposure to the incident first.'),
  GrantAlreadyEnded: input(422, 'Create a new grant if access is needed again.'),
  GrantNotExpiredYet: input(409, 'Wait until the grant expires, or revoke it.'),
  UpdateAlreadyWritten: input(409, 'Append a new dated update instead of rewriting one.'),
  CertificateInvalid: input(422, 'Upload a PEM certificate chain with its matching private key.'),
  CertificateStateConflict: input(409, 'Upload a new certificate.'),
  KeysManagedByEnvironment: input(409, 'Add the new key version to RIPOSTE_KEYS, restart, then run `riposte keys rotate`.'),
  InvalidSelector: input(422, 'Correct the selector as the message says.'),
  SelectorUnreadable: input(422, 'Give the path of a readable JSON selector file.'),
  SelectorNeedsUser: input(422, 'Explain the selector for one of the account users.'),
  // Imports
  ImportInvalid: input(422, 'Fix the lines listed and import again; nothing was written.'),
  ImportFailed: input(409, 'Import the same files again: what was written is kept and counts as unchanged.'),
  // Configuration and Riposte itself
  InvalidConfiguration: input(500, 'Correct the setting the message names, then start again.'),
  InsecureFileMode: input(500, 'Restrict the file or directory with the chmod the message gives.'),
  MigrationFailed: internal('Restore the database or fix the cause in the log; the database was left at the previous version.'),
  SecretIntegrityError: internal('Restore the altered rows from a backup, or put back the missing key version.'),
  KeyVersionMissing: internal('Put the missing key version back into RIPOSTE_KEYS or keys.json.'),
  InvalidSecretLocation: internal('Report it: a secret was sealed at an impossible place.'),
  DefaultCertificateUnusable: internal('Remove the default certificate directory and start again.'),
  OpensslFailed: internal('Install OpenSSL, or check the log for what it said.'),
  DeletedDataNotFlushed: internal('Stop any other process using the data directory, then repeat the request; it is safe to repeat.'),
  CorruptExposure: internal('Restore the incident from a backup; a stored exposure was altered.'),
  TemplateDataInvalid: internal('Report it: a queued message does not fit its template.'),
  TemplateUnknown: internal('Report it: a queued message has no template.'),
  JobTypeInvalid: internal('Fix the job declaration named in the message.'),
  JobQueueStopped: later(503, 'Start the job queue before waiting on it.'),
  RuntimeIncomplete: internal('Open the runtime with openRuntime().'),
  DemoFailed: internal('Report it: the demo generator wrote an invalid record.'),
  InternalError: internal('Try again; if it persists, the log has the cause.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code answering with `status`, for a route's documentation. */
export function errorCodesWithStatus(status: number): ErrorCode[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((code) => ERROR_CATALOGUE[code].status === status);
}
