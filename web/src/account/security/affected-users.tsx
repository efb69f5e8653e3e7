import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import type { MessageKey } from '../../i18n/en.js';
import { categoryKey } from '../../i18n/labels.js';
import { useAnnounce } from '../../ui/announcer.js';
import { CountTable } from '../../ui/count-table.js';
import { ErrorMessage } from '../../ui/forms.js';
import { Loading } from '../../ui/layout.js';
import { useRequests } from '../../ui/requests.js';
// Type-only imports of the answers' wire schemas: erased from the bundle, they keep the console
// reading exactly what `/api/v2/security/incidents/{id}/affected_users…` and `…/rotation_targets…` send.
import type {
  AffectedUserCountsWire as AffectedUserCounts,
  AffectedUsersPageWire,
  RotationTargetsPageWire,
} from '../../../../src/modules/incidents/affected-users.schema.js';

type Product = keyof AffectedUserCounts['affected_users']['by_product'];
type RotationState = keyof AffectedUserCounts['rotation_targets']['by_state'];
type ExemptReason = keyof AffectedUserCounts['rotation_targets']['exempt'];

// Product names are brands: the same in every language.
const productName = (product: string): string => product.charAt(0).toUpperCase() + product.slice(1);
const stateKey = (state: RotationState): MessageKey => `affected.state.${state}` as MessageKey;
const reasonKey = (reason: ExemptReason): MessageKey => `affected.exempt.${reason}` as MessageKey;

type ListName = 'affected_users' | 'rotation_targets';

/** Every page of a list, followed by its cursor (relative links: the console stays on its own origin). */
async function wholeList(incidentId: number, list: ListName): Promise<unknown[]> {
  const items: unknown[] = [];
  let after: string | null = null;
  do {
    const query: string = after === null ? 'page[size]=100' : `page[size]=100&page[after]=${encodeURIComponent(after)}`;
    const page: AffectedUsersPageWire | RotationTargetsPageWire = await api(
      `/api/v2/security/incidents/${incidentId}/${list}.json?${query}`,
    );
    items.push(...('affected_users' in page ? page.affected_users : page.rotation_targets));
    after = page.meta.has_more ? page.meta.after_cursor : null;
  } while (after !== null);
  return items;
}

/** Saves `body` as a file the browser downloads. */
function saveFile(name: string, body: string, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/**
 * Who exactly is affected, in one incident's block of the security center:
 * the account's users in scope per product (overall and per category), where
 * its users stand with the rotation, and the lists to download (CSV, or
 * JSON gathered from every page).
 */
export function AffectedUsersSection(props: { incidentId: number }) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [counts, setCounts] = useState<AffectedUserCounts | null>(null);
  const { error, busy, attempt, act } = useRequests();
  const base = `/api/v2/security/incidents/${props.incidentId}`;

  const load = useCallback(
    () =>
      attempt(async () => {
        setCounts(await api<AffectedUserCounts>(`${base}/affected_users/counts.json`));
      }),
    [attempt, base],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const downloadJson = (list: ListName) =>
    act(async () => {
      const items = await wholeList(props.incidentId, list);
      saveFile(
        `${list.replace('_', '-')}-incident-${props.incidentId}.json`,
        JSON.stringify({ [list]: items }, null, 2),
        'application/json',
      );
      announce(t('affected.downloaded', { count: items.length }));
    });

  const headingId = `affected-${props.incidentId}`;
  if (counts === null) {
    return (
      <section aria-labelledby={headingId}>
        <h3 id={headingId}>{t('affected.title')}</h3>
        <ErrorMessage message={error} />
        {error === null ? <Loading /> : null}
      </section>
    );
  }
  const users = counts.affected_users;
  // Only the products someone in scope uses: an account rarely has all nine.
  const products = (Object.keys(users.by_product) as Product[]).filter((product) => users.by_product[product] > 0);
  const rotation = counts.rotation_targets;
  const states = (Object.keys(rotation.by_state) as RotationState[]).filter((state) => rotation.by_state[state] > 0);
  const reasons = (Object.keys(rotation.exempt) as ExemptReason[]).filter((reason) => rotation.exempt[reason] > 0);
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{t('affected.title')}</h3>
      <ErrorMessage message={error} />
      {users.users === 0 ? (
        <p>{t('affected.noUsers')}</p>
      ) : (
        <>
          <p>{t('affected.lead', { users: users.users })}</p>
          <CountTable
            caption={t('affected.byProduct')}
            rowHeading={t('affected.category')}
            columns={[t('affected.users'), ...products.map(productName)]}
            rows={[
              {
                key: 'all',
                label: t('affected.allCategories'),
                counts: [users.users, ...products.map((product) => users.by_product[product])],
              },
              ...users.by_category.map((row) => ({
                key: row.category,
                label: t(categoryKey(row.category)),
                counts: [row.users, ...products.map((product) => row.by_product[product])],
              })),
            ]}
          />
          <p className="button-row">
            <a className="button button--secondary" href={`${base}/affected_users.csv`} download>
              {t('affected.usersCsv')}
            </a>
            <button type="button" className="button button--secondary" disabled={busy} onClick={() => void downloadJson('affected_users')}>
              {t('affected.usersJson')}
            </button>
          </p>
        </>
      )}

      <h4>{t('affected.rotationTitle')}</h4>
      {rotation.users === 0 ? (
        <p>{t('affected.rotationNone')}</p>
      ) : (
        <>
          <CountTable
            caption={t('affected.byState')}
            rowHeading={t('affected.state')}
            columns={[t('affected.users')]}
            rows={[
              ...states
                .filter((state) => state !== 'exempt')
                .map((state) => ({ key: state, label: t(stateKey(state)), counts: [rotation.by_state[state]] })),
              ...reasons.map((reason) => ({
                key: reason,
                label: t('affected.exemptBecause', { reason: t(reasonKey(reason)) }),
                counts: [rotation.exempt[reason]],
              })),
            ]}
          />
          <p className="button-row">
            <a className="button button--secondary" href={`${base}/rotation_targets.csv`} download>
              {t('affected.targetsCsv')}
            </a>
            <button
              type="button"
              className="button button--secondary"
              disabled={busy}
              onClick={() => void downloadJson('rotation_targets')}
            >
              {t('affected.targetsJson')}
            </button>
          </p>
        </>
      )}
    </section>
  );
}
