import { useI18n } from '../i18n/i18n.js';
import { followLink } from '../router.js';
import { PageHeading } from '../ui/layout.js';
import type { Me } from './account-types.js';

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
    </section>
  );
}
