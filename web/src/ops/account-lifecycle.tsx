import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { AccountLifecycleAnswer } from '../../../src/modules/accounts/account-lifecycle.schema.js';
import { ACCOUNT_STATUSES } from '../../../src/modules/accounts/account-status.js';
import { PRODUCTS } from '../../../src/platform/products.js';
import type { OpsContext } from './ops-types.js';

type Account = AccountLifecycleAnswer['account'];

/** An account's standing with the vendor: look it up by subdomain, change its status, activation date and products. */
export function AccountLifecyclePage(props: { context: OpsContext }) {
  const { t, dateTime } = useI18n();
  const [subdomain, setSubdomain] = useState('');
  const [account, setAccount] = useState<Account | null>(null);
  const [status, setStatus] = useState<string>('');
  const [activatedAt, setActivatedAt] = useState('');
  const [products, setProducts] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);
  const lookup = useRequests();
  const save = useRequests();

  const show = (found: Account) => {
    setAccount(found);
    setStatus(found.status);
    setActivatedAt(found.activated_at ?? '');
    setProducts(found.products);
  };
  const find = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    await lookup.act(async () => {
      show((await api<AccountLifecycleAnswer>(`/ops/v1/accounts/${encodeURIComponent(subdomain.trim().toLowerCase())}`)).account);
    });
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (account === null) return;
    setSaved(false);
    await save.act(async () => {
      const change = {
        ...(status === account.status ? {} : { status }),
        ...(activatedAt.trim() === '' || activatedAt === account.activated_at ? {} : { activated_at: activatedAt.trim() }),
        ...(products.join(',') === account.products.join(',') ? {} : { products }),
      };
      show(
        (
          await api<AccountLifecycleAnswer>(`/ops/v1/accounts/${account.subdomain}`, {
            method: 'PUT',
            body: { account: Object.keys(change).length === 0 ? { status } : change },
            csrfToken: props.context.csrf,
          })
        ).account,
      );
      setSaved(true);
    });
  };

  return (
    <section>
      <PageHeading lead={t('ops.accounts.lead')}>{t('ops.accounts.title')}</PageHeading>
      <form className="section" onSubmit={(event) => void find(event)} noValidate>
        <ErrorMessage message={lookup.error} />
        <Field label={t('ops.accounts.subdomain')} required value={subdomain} onChange={(e) => setSubdomain(e.target.value)} />
        <SubmitButton busy={lookup.busy} variant="secondary">
          {t('ops.accounts.find')}
        </SubmitButton>
      </form>
      {account === null ? null : (
        <form className="section" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="account-heading">
          <h2 id="account-heading">
            {account.name} ({account.subdomain})
          </h2>
          <p className="muted">
            {t('ops.accounts.created', { date: dateTime(account.created_at), updated: dateTime(account.updated_at) })}
          </p>
          <ErrorMessage message={save.error} />
          {saved ? (
            <p role="status" className="notice notice--ok">
              {t('ops.accounts.saved')}
            </p>
          ) : null}
          <div className="grid-2">
            <div className="field">
              <label htmlFor="account-status">{t('ops.accounts.status')}</label>
              <select id="account-status" value={status} onChange={(e) => setStatus(e.target.value)}>
                {ACCOUNT_STATUSES.map((value) => (
                  <option key={value} value={value}>
                    {t(`home.status.${value}`, { since: '' })}
                  </option>
                ))}
              </select>
            </div>
            <Field
              label={t('ops.accounts.activatedAt')}
              hint={t('ops.accounts.activatedHint')}
              value={activatedAt}
              placeholder="2026-06-01T09:00:00Z"
              onChange={(e) => setActivatedAt(e.target.value)}
            />
          </div>
          <fieldset>
            <legend>{t('ops.accounts.products')}</legend>
            {PRODUCTS.map((product) => (
              <label key={product} className="checkbox">
                <input
                  type="checkbox"
                  checked={products.includes(product)}
                  onChange={(e) => setProducts(PRODUCTS.filter((p) => (p === product ? e.target.checked : products.includes(p))))}
                />{' '}
                {product}
              </label>
            ))}
          </fieldset>
          <SubmitButton busy={save.busy}>{t('ops.accounts.save')}</SubmitButton>
        </form>
      )}
    </section>
  );
}
