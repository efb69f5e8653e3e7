import { useCallback, useEffect, useState } from 'react';
import { api, isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { categoryKey } from '../i18n/labels.js';
import { CountTable } from '../ui/count-table.js';
import { ErrorMessage } from '../ui/forms.js';
import { failureMessage } from '../ui/requests.js';
import { ExposuresEditor } from './exposures.js';
import type { IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { ScopeComparisonWire, ScopeWire } from '../../../src/modules/incidents/scope-ops.schema.js';
import type { OpsContext } from './ops-types.js';

/** Exposures and the scope they produce: per category, by version, and what changed between two versions. */
export function ScopeSection(props: { context: OpsContext; incident: IncidentWire; onChanged: () => void }) {
  const { t } = useI18n();
  const [latest, setLatest] = useState<ScopeWire | null | undefined>(undefined);
  const [shown, setShown] = useState<ScopeWire | null>(null);
  const [error, setError] = useState<string | null>(null);
  const incidentId = props.incident.id;
  const load = useCallback(
    async (version?: number) => {
      try {
        const snapshot = await api<ScopeWire>(`/ops/v1/incidents/${incidentId}/scope${version === undefined ? '' : `?version=${version}`}`);
        if (version === undefined) setLatest(snapshot);
        setShown(snapshot);
      } catch (caught) {
        if (isApiError(caught) && caught.status === 404 && version === undefined) setLatest(null);
        else setError(failureMessage(caught, t('common.failed')));
      }
    },
    [incidentId, t],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="columns">
      <ExposuresEditor
        context={props.context}
        incident={props.incident}
        onChanged={() => {
          void load();
          props.onChanged();
        }}
      />
      <section className="section" aria-labelledby="scope-heading">
        <h2 id="scope-heading">{t('ops.scope.title')}</h2>
        <ErrorMessage message={error} />
        {latest === undefined ? null : latest === null || shown === null ? (
          <p className="muted">{t('ops.scope.none')}</p>
        ) : (
          <>
            <div className="field">
              <label htmlFor="scope-version">{t('ops.scope.version')}</label>
              <select id="scope-version" value={shown.version} onChange={(e) => void load(Number(e.target.value))}>
                {Array.from({ length: latest.version }, (_, index) => latest.version - index).map((version) => (
                  <option key={version} value={version}>
                    {t('ops.scope.versionN', { version })}
                  </option>
                ))}
              </select>
            </div>
            <ScopeTable snapshot={shown} />
            {latest.version > 1 ? <ScopeDiff incidentId={incidentId} latest={latest.version} /> : null}
          </>
        )}
      </section>
    </div>
  );
}

function ScopeTable(props: { snapshot: ScopeWire }) {
  const { t, number, dateTime } = useI18n();
  const { snapshot } = props;
  const categories = Object.entries(snapshot.totals.records);
  return (
    <>
      <p className="muted">{t('ops.scope.reason', { reason: snapshot.reason, date: dateTime(snapshot.created_at) })}</p>
      <dl className="stats">
        <div>
          <dt>{t('ops.scope.accounts')}</dt>
          <dd>{number(snapshot.totals.accounts)}</dd>
        </div>
        <div>
          <dt>{t('ops.scope.people')}</dt>
          <dd>{number(snapshot.totals.people)}</dd>
        </div>
        <div>
          <dt>{t('ops.scope.agents')}</dt>
          <dd>{number(snapshot.totals.people_by_role.agents)}</dd>
        </div>
        <div>
          <dt>{t('ops.scope.endUsers')}</dt>
          <dd>{number(snapshot.totals.people_by_role.end_users)}</dd>
        </div>
      </dl>
      <CountTable
        caption={t('ops.scope.byCategory', { version: snapshot.version })}
        rowHeading={t('ops.scope.category')}
        columns={[t('ops.scope.records'), t('ops.scope.accounts')]}
        rows={categories.map(([category, records]) => ({
          key: category,
          label: t(categoryKey(category)),
          counts: [records, snapshot.accounts.filter((account) => account.categories.some((held) => held === category)).length],
        }))}
      />
      {snapshot.totals.hash_tiers === null ? null : <HashTierTable snapshot={snapshot} tiers={snapshot.totals.hash_tiers} />}
      <details>
        <summary>{t('ops.scope.accountList', { count: snapshot.accounts.length })}</summary>
        <ul className="compact-list">
          {snapshot.accounts.slice(0, 200).map((account) => (
            <li key={account.account_id}>
              <strong>{account.subdomain}</strong> — {account.categories.map((category) => t(categoryKey(category))).join(', ')} ·{' '}
              {t('ops.scope.peopleN', { count: account.people })}
              {account.hash_tiers === null ? null : <> · {t('ops.scope.tiersN', account.hash_tiers)}</>}
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}

/** Exposed password credentials per hash tier (the hash each was stored with at exposure time), with the accounts holding each. */
function HashTierTable(props: { snapshot: ScopeWire; tiers: NonNullable<ScopeWire['totals']['hash_tiers']> }) {
  const { t } = useI18n();
  const tiers = ['critical', 'high', 'moderate'] as const;
  return (
    <CountTable
      caption={t('ops.scope.hashTiers', { version: props.snapshot.version })}
      rowHeading={t('ops.scope.tier')}
      columns={[t('ops.scope.credentials'), t('ops.scope.accounts')]}
      rows={tiers.map((tier) => ({
        key: tier,
        label: t(`tier.${tier}`),
        counts: [props.tiers[tier], props.snapshot.accounts.filter((account) => (account.hash_tiers?.[tier] ?? 0) > 0).length],
      }))}
    />
  );
}

function ScopeDiff(props: { incidentId: number; latest: number }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(props.latest - 1);
  const [to, setTo] = useState(props.latest);
  const [diff, setDiff] = useState<ScopeComparisonWire | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDiff(null);
    setError(null);
    api<ScopeComparisonWire>(`/ops/v1/incidents/${props.incidentId}/scope/diff?from=${from}&to=${to}`)
      .then(setDiff)
      .catch((caught: unknown) => setError(failureMessage(caught, t('common.failed'))));
  }, [from, to, props.incidentId, t]);
  const versions = Array.from({ length: props.latest }, (_, index) => index + 1);
  return (
    <section className="diff" aria-labelledby="diff-heading">
      <h3 id="diff-heading">{t('ops.diff.title')}</h3>
      <div className="inline-form">
        {(
          [
            ['diff-from', t('ops.diff.from'), from, setFrom],
            ['diff-to', t('ops.diff.to'), to, setTo],
          ] as const
        ).map(([id, label, value, set]) => (
          <div className="field" key={id}>
            <label htmlFor={id}>{label}</label>
            <select id={id} value={value} onChange={(e) => set(Number(e.target.value))}>
              {versions.map((version) => (
                <option key={version} value={version}>
                  {t('ops.scope.versionN', { version })}
                </option>
              ))}
            </select>
          </div>
        ))}
      </div>
      <ErrorMessage message={error} />
      {diff === null ? null : diff.accounts_added.length + diff.accounts_removed.length + diff.categories_changed.length === 0 ? (
        <p className="muted">{t('ops.diff.same')}</p>
      ) : (
        <ul className="diff-list" data-testid="scope-diff">
          {diff.accounts_added.map((subdomain) => (
            <li key={`+${subdomain}`} className="diff-list__added">
              <span aria-hidden="true">+ </span>
              {t('ops.diff.added', { subdomain })}
            </li>
          ))}
          {diff.accounts_removed.map((subdomain) => (
            <li key={`-${subdomain}`} className="diff-list__removed">
              <span aria-hidden="true">− </span>
              {t('ops.diff.removed', { subdomain })}
            </li>
          ))}
          {diff.categories_changed.map((change) => (
            <li key={`~${change.subdomain}`} className="diff-list__changed">
              <span aria-hidden="true">~ </span>
              {t('ops.diff.changed', {
                subdomain: change.subdomain,
                added: change.added.map((category) => t(categoryKey(category))).join(', ') || '—',
                removed: change.removed.map((category) => t(categoryKey(category))).join(', ') || '—',
              })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
