import { useCallback, useEffect, useState } from 'react';
import { safeReturnPath } from '../../../src/platform/http/return-path.js';
import { api, isApiError } from '../api.js';
import { I18nProvider, initialLocale, useI18n } from '../i18n/i18n.js';
import { navigate, useLocation } from '../router.js';
import { Loading, PageHeading, Shell } from '../ui/layout.js';
import type { Me, SignInOptions } from './account-types.js';
import { Home } from './home.js';
import { PasswordResetPage } from './password-reset.js';
import { SecurityCenter } from './security/security-center.js';
import { SessionsPage } from './sessions.js';
import { SignInPage } from './sign-in.js';

type Loaded<T> = { state: 'loading' } | { state: 'failed'; status: number; message: string } | { state: 'ready'; value: T };

/** The pages of an account's host: sign-in, password change and reset, home, sessions and the security center. */
export function AccountApp() {
  const [options, setOptions] = useState<Loaded<SignInOptions>>({ state: 'loading' });
  useEffect(() => {
    api<SignInOptions>('/access/sign_in_options')
      .then((value) => setOptions({ state: 'ready', value }))
      .catch((error: unknown) =>
        setOptions({ state: 'failed', status: isApiError(error) ? error.status : 0, message: error instanceof Error ? error.message : '' }),
      );
  }, []);
  const locale = initialLocale(options.state === 'ready' ? options.value.account.locale : null);
  return (
    <I18nProvider initial={locale}>
      {options.state === 'loading' ? (
        <Loading />
      ) : options.state === 'failed' ? (
        <NoAccount status={options.status} />
      ) : (
        <SignedInRoutes options={options.value} />
      )}
    </I18nProvider>
  );
}

function NoAccount(props: { status: number }) {
  const { t } = useI18n();
  return (
    <Shell brand="Riposte">
      <PageHeading>{props.status === 404 ? t('account.none.title') : t('account.unreachable.title')}</PageHeading>
      <p>{props.status === 404 ? t('account.none.body') : t('account.unreachable.body')}</p>
      <p>
        <a href="/ops/console/">{t('account.none.ops')}</a>
      </p>
    </Shell>
  );
}

function SignedInRoutes(props: { options: SignInOptions }) {
  const { t } = useI18n();
  const { path, query } = useLocation();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refreshMe = useCallback(async () => {
    try {
      const { user } = await api<{ user: Me }>('/api/v2/users/me.json');
      setMe(user);
    } catch {
      setMe(null);
    }
  }, []);
  useEffect(() => {
    void refreshMe();
  }, [refreshMe]);

  const publicPage = path === '/access/sign_in' || path === '/access/password_reset';
  useEffect(() => {
    if (me === null && !publicPage) navigate(`/access/sign_in?return_to=${encodeURIComponent(path)}`, { replace: true });
    if (me !== null && me !== undefined && path === '/access/sign_in') navigate(safeReturn(query.get('return_to')), { replace: true });
  }, [me, path, publicPage, query]);

  const signOut = async () => {
    await api('/access/sign_out', { method: 'POST', csrfToken: me?.authenticity_token ?? null }).catch(() => undefined);
    setMe(null);
    navigate('/access/sign_in', { replace: true });
  };
  const nav =
    me === null || me === undefined
      ? []
      : [
          { href: '/', label: t('nav.home'), current: path === '/' },
          { href: '/sessions', label: t('nav.sessions'), current: path === '/sessions' },
          ...(me.role === 'admin' ? [{ href: '/security', label: t('nav.security'), current: path === '/security' }] : []),
        ];
  const actions =
    me === null || me === undefined ? null : (
      <button type="button" className="button button--quiet" onClick={() => void signOut()}>
        {t('nav.signOut')}
      </button>
    );

  let page;
  if (path === '/access/password_reset') page = <PasswordResetPage options={props.options} token={query.get('token')} />;
  else if (me === undefined) page = <Loading />;
  else if (me === null || path === '/access/sign_in')
    page = <SignInPage options={props.options} onSignedIn={(user) => setMe(user)} returnTo={safeReturn(query.get('return_to'))} />;
  else if (path === '/sessions') page = <SessionsPage me={me} onSignedOut={() => setMe(null)} />;
  else if (path === '/security') page = <SecurityCenter me={me} />;
  else page = <Home me={me} account={props.options.account.name} />;
  return (
    <Shell brand={props.options.account.name} subtitle={t('brand.account')} nav={nav} actions={actions}>
      {page}
    </Shell>
  );
}

/** Only paths of this site (the server's own check), never back into sign-in; anything else goes home. */
function safeReturn(returnTo: string | null): string {
  const path = safeReturnPath(returnTo, window.location.origin);
  return path.startsWith('/access/') ? '/' : path;
}
