import { escapeHtml } from '../auth/oauth/consent-page.js';
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

function proposedRows(evidence: Evidence): Array<Array<string | number | null>> {
  return evidence.measures_proposed.map((item) =>
    item.kind === 'rotate_installation_secrets'
      ? [
          'Rotate the keys of an app installation',
          `${item.app_name} (installation ${item.installation_id}, installed ${item.installed_at})`,
          item.stale_fields.map((field) => `${field.field} set ${field.set_at}`).join('; '),
        ]
      : [
          'Replace and revoke a certificate',
          `${item.hostnames.join(', ')} (certificate ${item.certificate_id}, uploaded ${item.uploaded_at})`,
          `valid until ${item.not_after}`,
        ],
  );
}

/**
 * A printable, self-contained HTML page of the Article 33 evidence: inline
 * CSS with print rules, no scripts or external resources, every value escaped.
 *
 * @example
 * reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(await buildEvidence(deps, 1, 'acme')));
 */
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

<h2>Contact points</h2>
${table(
  ['Who', 'Contact'],
  [
    [
      `Your organisation (${contacts.controller.role === 'security_contact' ? 'security contact' : 'account owner'})`,
      contacts.controller.email,
    ],
    [contacts.processor.name, contacts.processor.email],
  ],
  '',
)}

<h2>Likely consequences</h2>
${table(
  ['Category', 'Likely consequence'],
  evidence.likely_consequences.map((item) => [item.category, item.consequence]),
  'None identified.',
)}

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
