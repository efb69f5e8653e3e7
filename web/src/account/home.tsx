import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { followLink } from '../router.js';
import { PageHeading } from '../ui/layout.js';
import type { Me } from './account-types.js';
// Type-only: erased from the bundle, it keeps the console reading what `/api/v2/account.json` sends.
import type { AccountLifecycleAnswer } from '../../../src/modules/accounts/account-lifecycle.schema.js';

/** Where a signed-in person lands: which account, as whom, and where to go next. */
export function Home(props: { me: Me; account: string }) {
  const { t } = useI18n();
  return (
    <section className="panel">
      <PageHeading lead={t('home.lead', { name: props.me.name, email: props.me.email })}>
        {t('home.title', { account: props.account })}
      </PageHeading>
      <ul className="link-cards">
        <li>
          <a href="/sessions" onClick={followLink}>
            <strong>{t('nav.sessions')}</strong>
            <span>{t('home.sessions')}</span>
          </a>
        </li>
        {props.me.role === 'admin' ? (
          <li>
            <a href="/security" onClick={followLink}>
              <strong>{t('nav.security')}</strong>
              <span>{t('home.security')}</span>
            </a>
          </li>
        ) : null}
      </ul>
      {props.me.role === 'admin' ? <AccountStanding /> : null}
    </section>
  );
}

/** The account's standing with the vendor, as its admins read it: status, since when, which products. */
function AccountStanding() {
  const { t, date } = useI18n();
  const [account, setAccount] = useState<AccountLifecycleAnswer['account'] | null>(null);
  useEffect(() => {
    api<AccountLifecycleAnswer>('/api/v2/account.json').then(
      (answer) => setAccount(answer.account),
      () => setAccount(null),
    );
  }, []);
  if (account === null) return null;
  return (
    <p className="muted" data-testid="account-standing">
      {t(`home.status.${account.status}`, { since: account.activated_at === null ? '' : date(account.activated_at) })} ·{' '}
      {t('home.products', { products: account.products.join(', ') })}
    </p>
  );
}
