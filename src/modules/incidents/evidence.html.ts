import { escapeHtml } from '../../platform/html-escape.js';
import type { Evidence } from './evidence.service.js';

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.meta { color: #555; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; }
  table, tr { break-inside: avoid; }
  th { background: none; }
}`;

const e = (value: string | number | null | undefined): string => escapeHtml(value === null || value === undefined ? '—' : String(value));

const rows = (cells: Array<Array<string | number | null>>): string =>
  cells.map((row) => `<tr>${row.map((cell) => `<td>${e(cell)}</td>`).join('')}</tr>`).join('\n');

function table(headings: string[], cells: Array<Array<string | number | null>>, empty: string): string {
  if (cells.length === 0) return `<p>${e(empty)}</p>`;
  return `<table><thead><tr>${headings.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>\n${rows(cells)}\n</tbody></table>`;
}

function proposedRow(item: Evidence['measures_proposed'][number]): Array<string | number | null> {
  switch (item.kind) {
    case 'rotate_installation_secrets':
      return [
        'Rotate the keys of an app installation',
        `${item.app_name} (installation ${item.installation_id}, installed ${item.installed_at})`,
        item.stale_fields.map((field) => `${field.field} set ${field.set_at}`).join('; '),
      ];
    case 'replace_certificate':
      return [
        'Replace and revoke a certificate',
        `${item.hostnames.join(', ')} (certificate ${item.certificate_id}, uploaded ${item.uploaded_at})`,
        `valid until ${item.not_after}`,
      ];
    case 'revoke_api_token':
      return [
        'Revoke an API token',
        `${item.description} (token ${item.api_token_id}, ending ${item.token_hint})`,
        `created ${item.created_at}`,
      ];
    case 'regenerate_oauth_client_secret':
      return [
        'Regenerate an OAuth client secret',
        `${item.name} (client ${item.oauth_client_id}, ${item.identifier})`,
        `secret set ${item.secret_set_at}`,
      ];
    case 'regenerate_jwt_shared_secret':
      return ['Regenerate the JWT single sign-on shared secret', 'JWT SSO', `set ${item.set_at}`];
    case 'replace_saml_configuration':
      return ['Review the SAML identity provider configuration', 'SAML SSO', `set ${item.set_at}`];
  }
}

const proposedRows = (evidence: Evidence): Array<Array<string | number | null>> => evidence.measures_proposed.map(proposedRow);

/**
 * A printable, self-contained HTML page of the Article 33 evidence: inline
 * CSS with print rules, no scripts or external resources, every value escaped.
 *
 * @example
 * reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(await buildEvidence(deps, 1, 'acme')));
 */
/** "No evidence of use" as a measured statement, with its period and method; or the sign-ins to investigate. */
const users = (count: number): string => `${count} ${count === 1 ? 'user' : 'users'}`;

function useOfExposedPasswordsHtml(use: Evidence['use_of_exposed_passwords']): string {
  if (use === null) return '';
  const finding =
    use.unfamiliar.sign_ins === 0
      ? `No sign-in with an exposed password came from a source new to its user (${use.sign_ins} password sign-ins by ${users(use.users)}, all from networks and clients they had used before).`
      : `${use.unfamiliar.sign_ins} sign-ins by ${users(use.unfamiliar.users)} came from a source new to the user: investigate them (${use.sign_ins} password sign-ins by ${users(use.users)} in all).`;
  return `<h2>Use of the exposed passwords before rotation</h2>
<p>${e(finding)}</p>
<p class="meta">Period: ${e(use.period.from)} to ${e(use.period.to)}; sign-in records kept since ${e(use.records_since ?? 'no record')}. ${e(use.method)}</p>
${
  use.to_investigate.length === 0
    ? ''
    : table(
        ['When', 'User', 'Channel', 'Address', 'User agent', 'New'],
        use.to_investigate.map((row) => [
          row.occurred_at,
          row.user_id,
          row.channel,
          row.ip,
          row.user_agent,
          row.reasons.map((reason) => (reason === 'new_network' ? 'network' : 'client')).join(', '),
        ]),
        '',
      )
}`;
}

export function renderEvidenceHtml(evidence: Evidence): string {
  const { incident, nature, people, records, contact_points: contacts, measures_taken: taken } = evidence;
  const rotation = taken.password_rotation;
  const window = nature.exposure_window;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`Article 33 evidence: ${incident.title} — ${evidence.controller.name}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Personal data breach: facts for ${e(evidence.controller.name)}</h1>
<p class="meta">${e(evidence.article)} · incident ${e(incident.id)} (${e(incident.state)}) · account ${e(evidence.controller.subdomain)} · scope version ${e(incident.scope_version)} · generated ${e(evidence.generated_at)}</p>

<h2>Nature of the breach</h2>
<p>${e(nature.description)}</p>
${table(
  ['Fact', 'Value'],
  [
    ['Incident', incident.title],
    ['Became aware', incident.became_aware_at],
    ['Exposure window', window === null ? 'not established' : `${window.starts_at} to ${window.ends_at ?? 'unknown'}`],
    ['Cutoff', nature.cutoff],
    ['Categories of data', nature.categories.join(', ')],
  ],
  '',
)}

<h2>People and records concerned (approximate)</h2>
${table(
  ['Category of people', 'Approximate number'],
  [
    ['Agents and admins', people.agents_and_admins],
    ['End users', people.end_users],
    ['Total', people.approximate_total],
  ],
  '',
)}
${table(
  ['Category of data', 'Approximate records'],
  [
    ...Object.entries(records.by_category).map(([category, count]): [string, number] => [category, count]),
    ['Total', records.approximate_total],
  ],
  '',
)}

${
  evidence.password_hash_strength.length === 0
    ? ''
    : `<h2>Password hashes by strength at exposure time</h2>
${table(
  ['Tier', 'Credentials', 'Stored with', 'Estimated cost of a 14.3-million-word guess list on one RTX 4090'],
  evidence.password_hash_strength.map((row) => [row.tier, row.credentials, row.stored_with, row.guess_list_cost]),
  '',
)}`
}

<h2>Contact points</h2>
${table(
  ['Who', 'Contact'],
  [
    [
      `Your organisation (${contacts.controller.role === 'security_contact' ? 'security contact' : 'account owner'})`,
      contacts.controller.email,
    ],
    [`${contacts.processor.name} (security)`, contacts.processor.email],
    [`${contacts.processor.name} (data protection)`, contacts.processor.data_protection_email],
    ...(contacts.processor.security_programme_url === null
      ? []
      : [[`${contacts.processor.name} security programme`, contacts.processor.security_programme_url]]),
  ],
  '',
)}

<h2>Likely consequences</h2>
${table(
  ['Category', 'Likely consequence'],
  evidence.likely_consequences.map((item) => [item.category, item.consequence]),
  'None identified.',
)}

${useOfExposedPasswordsHtml(evidence.use_of_exposed_passwords)}

<h2>Measures taken</h2>
${table(
  ['Measure', 'Result'],
  [
    [
      'Forced password change',
      rotation === null
        ? 'no rotation campaign for your users'
        : `${rotation.changed} of ${rotation.targets} users have set a new password; ${rotation.remaining} remaining`,
    ],
    ['Web sessions revoked', taken.sessions_revoked],
    ['App installations whose keys were rotated', taken.installations_rotated],
    ['Exposed certificates revoked', taken.certificates_revoked],
    ...taken.actions_taken.map((action): [string, string] => [action.title, `done ${action.done_at}`]),
  ],
  '',
)}

<h2>Measures proposed (your to-do list)</h2>
${table(['Action', 'Item', 'Details'], proposedRows(evidence), 'Nothing left to do.')}

<h2>Timeline</h2>
${table(
  ['When', 'Event', 'Summary'],
  evidence.timeline.map((event) => [event.occurred_at, event.kind, event.summary]),
  'No events recorded.',
)}
</body>
</html>
`;
}
