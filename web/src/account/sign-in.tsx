import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { followLink, navigate } from '../router.js';
import { useAnnounce } from '../ui/announcer.js';
import { CurrentPasswordField, EmailField, ErrorMessage, SubmitButton } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { Me, SignInAnswer, SignInOptions } from './account-types.js';
import { NewPasswordForm } from './new-password.js';

/** Sign-in with a password (and SSO when the account has it), then the forced change step when a new password is required. */
export function SignInPage(props: { options: SignInOptions; onSignedIn: (me: Me) => void; returnTo: string }) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, setError, busy, act } = useRequests();
  const [change, setChange] = useState<{ token: string; expiresAt: string } | null>(null);

  const finish = (user: Me, authenticityToken: string) => {
    announce(t('signIn.done', { account: props.options.account.name }));
    props.onSignedIn({ ...user, authenticity_token: authenticityToken });
    navigate(props.returnTo, { replace: true });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await act(async () => {
      const answer = await api<SignInAnswer>('/access/sign_in', { method: 'POST', body: { email, password } });
      if (answer.status === 'password_change_required') {
        setPassword('');
        setChange({ token: answer.change_token, expiresAt: answer.expires_at });
      } else finish(answer.user, answer.authenticity_token);
    }, t('signIn.refused'));
  };

  if (change !== null) {
    return (
      <section className="panel panel--narrow">
        <PageHeading lead={t('change.lead')}>{t('change.title')}</PageHeading>
        <NewPasswordForm
          email={email}
          policy={props.options.password_policy}
          submitLabel={t('change.submit')}
          onSubmit={async (newPassword) => {
            const answer = await api<Extract<SignInAnswer, { status: 'signed_in' }>>('/access/password_change', {
              method: 'POST',
              body: { change_token: change.token, password: newPassword },
            });
            finish(answer.user, answer.authenticity_token);
          }}
          onExpired={() => {
            setChange(null);
            setError(t('change.expired'));
          }}
        />
      </section>
    );
  }

  return (
    <section className="panel panel--narrow">
      <PageHeading lead={t('signIn.lead', { account: props.options.account.name })}>{t('signIn.title')}</PageHeading>
      {props.options.sso.enabled ? (
        <div className="sso">
          <a
            className="button button--secondary button--block"
            href={`${props.options.sso.url}?return_to=${encodeURIComponent(props.returnTo)}`}
          >
            {t('signIn.sso')}
          </a>
          <p className="divider">
            <span>{t('signIn.or')}</span>
          </p>
        </div>
      ) : null}
      <form onSubmit={(event) => void submit(event)} noValidate aria-describedby={error === null ? undefined : 'sign-in-error'}>
        <div id="sign-in-error">
          <ErrorMessage message={error} />
        </div>
        <EmailField name="email" value={email} onValue={setEmail} />
        <CurrentPasswordField name="password" value={password} onValue={setPassword} />
        <SubmitButton busy={busy}>{t('signIn.submit')}</SubmitButton>
      </form>
      <p className="aside">
        <a href="/access/password_reset" onClick={followLink}>
          {t('signIn.forgot')}
        </a>
      </p>
    </section>
  );
}
