import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { categoryKey, EXPOSURE_CATEGORIES } from '../i18n/labels.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage, SubmitButton } from '../ui/forms.js';
import { useRequests } from '../ui/requests.js';
import type { IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { ExposureChangeWire, ExposureListAnswer, ExposureWire } from '../../../src/modules/incidents/scope-ops.schema.js';
import type { OpsContext } from './ops-types.js';
import { EXAMPLE_SELECTOR, SelectorEditor, type SelectorStatus } from './selector-editor.js';

/** The incident's exposures (removed ones kept, struck through) and the editor to add one. */
export function ExposuresEditor(props: { context: OpsContext; incident: IncidentWire; onChanged: () => void }) {
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const [exposures, setExposures] = useState<ExposureWire[] | null>(null);
  const [category, setCategory] = useState<string>('password_hashes');
  const [kind, setKind] = useState<'selector' | 'accounts'>('selector');
  const [selectorText, setSelectorText] = useState(EXAMPLE_SELECTOR);
  const [status, setStatus] = useState<SelectorStatus>({ state: 'empty' });
  const [accountsText, setAccountsText] = useState('');
  const { error, setError, busy, attempt, act } = useRequests();
  const base = `/ops/v1/incidents/${props.incident.id}/exposures`;
  const closed = props.incident.state === 'closed';
  const load = useCallback(
    () =>
      attempt(async () => {
        setExposures((await api<ExposureListAnswer>(base)).exposures);
      }),
    [attempt, base],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const accountIds = accountsText
    .split(/[\s,;]+/)
    .filter((value) => value !== '')
    .map(Number);
  const accountsInvalid = kind === 'accounts' && (accountIds.length === 0 || accountIds.some((id) => !Number.isInteger(id) || id < 1));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if ((kind === 'selector' && status.state !== 'valid') || accountsInvalid) {
      setError(kind === 'selector' ? t('ops.exposures.fixSelector') : t('ops.exposures.fixAccounts'));
      return;
    }
    await act(async () => {
      const body =
        kind === 'selector'
          ? { category, selector: status.state === 'valid' ? status.selector : null }
          : { category, account_ids: accountIds };
      const change = await api<ExposureChangeWire>(base, {
        method: 'POST',
        body,
        csrfToken: props.context.csrf,
      });
      announce(t('ops.exposures.added', { version: change.scope_version, accounts: change.accounts_in_scope }));
      await load();
      props.onChanged();
    });
  };
  const remove = async (exposure: ExposureWire) => {
    setError(null);
    await attempt(async () => {
      const change = await api<ExposureChangeWire>(`${base}/${exposure.id}`, { method: 'DELETE', csrfToken: props.context.csrf });
      announce(t('ops.exposures.removed', { version: change.scope_version }));
      await load();
      props.onChanged();
    });
  };

  return (
    <section className="section" aria-labelledby="exposures-heading">
      <h2 id="exposures-heading">{t('ops.exposures.title')}</h2>
      <ErrorMessage message={error} />
      {exposures === null ? null : exposures.length === 0 ? (
        <p className="muted">{t('ops.exposures.none')}</p>
      ) : (
        <ul className="cards">
          {exposures.map((exposure) => (
            <li key={exposure.id} className={exposure.removed_at === null ? 'card' : 'card card--removed'}>
              <div className="card__body">
                <p className="card__title">
                  {t(categoryKey(exposure.category))}{' '}
                  {exposure.removed_at === null ? null : (
                    <span className="badge">{t('ops.exposures.removedOn', { date: dateTime(exposure.removed_at) })}</span>
                  )}
                </p>
                <p className="muted">
                  {exposure.target.kind === 'accounts'
                    ? t('ops.exposures.accountList', { count: exposure.target.account_ids.length })
                    : t('ops.exposures.bySelector')}{' '}
                  · {dateTime(exposure.added_at)}
                </p>
                {exposure.target.kind === 'selector' ? (
                  <details>
                    <summary>{t('ops.exposures.showSelector')}</summary>
                    <pre className="code">{JSON.stringify(exposure.target.selector, null, 2)}</pre>
                  </details>
                ) : null}
              </div>
              {exposure.removed_at === null && !closed ? (
                <button type="button" className="button button--secondary" onClick={() => void remove(exposure)}>
                  {t('ops.exposures.remove')}
                  <span className="visually-hidden">: {t(categoryKey(exposure.category))}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {closed ? null : (
        <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="add-exposure-heading" className="subsection">
          <h3 id="add-exposure-heading">{t('ops.exposures.add')}</h3>
          <div className="field">
            <label htmlFor="exposure-category">{t('ops.exposures.category')}</label>
            <select id="exposure-category" value={category} onChange={(e) => setCategory(e.target.value)}>
              {EXPOSURE_CATEGORIES.map((candidate) => (
                <option key={candidate} value={candidate}>
                  {t(categoryKey(candidate))}
                </option>
              ))}
            </select>
          </div>
          <fieldset className="radio-group">
            <legend>{t('ops.exposures.who')}</legend>
            <label>
              <input type="radio" name="exposure-kind" checked={kind === 'selector'} onChange={() => setKind('selector')} />{' '}
              {t('ops.exposures.kindSelector')}
            </label>
            <label>
              <input type="radio" name="exposure-kind" checked={kind === 'accounts'} onChange={() => setKind('accounts')} />{' '}
              {t('ops.exposures.kindAccounts')}
            </label>
          </fieldset>
          {kind === 'selector' ? (
            <SelectorEditor
              context={props.context}
              label={t('ops.exposures.selector')}
              value={selectorText}
              onChange={setSelectorText}
              onStatus={setStatus}
            />
          ) : (
            <div className={accountsInvalid && accountsText !== '' ? 'field field--invalid' : 'field'}>
              <label htmlFor="exposure-accounts">{t('ops.exposures.accountIds')}</label>
              <div className="field__hint" id="exposure-accounts-hint">
                {t('ops.exposures.accountIdsHint')}
              </div>
              <textarea
                id="exposure-accounts"
                rows={4}
                aria-describedby="exposure-accounts-hint"
                value={accountsText}
                onChange={(e) => setAccountsText(e.target.value)}
              />
            </div>
          )}
          <SubmitButton busy={busy}>{t('ops.exposures.submit')}</SubmitButton>
        </form>
      )}
    </section>
  );
}
