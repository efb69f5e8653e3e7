import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import { useAnnounce } from '../../ui/announcer.js';
import { ErrorMessage, Field, SubmitButton } from '../../ui/forms.js';
import { useRequests } from '../../ui/requests.js';
import type { ActionItem } from './security-types.js';

/** One key per to-do item, stable while it is on the list. */
export function actionItemKey(item: ActionItem): string {
  switch (item.kind) {
    case 'rotate_installation_secrets':
      return `installation-${item.installation_id}`;
    case 'replace_certificate':
      return `certificate-${item.certificate_id}`;
    case 'revoke_api_token':
      return `api-token-${item.api_token_id}`;
    case 'regenerate_oauth_client_secret':
      return `oauth-client-${item.oauth_client_id}`;
    case 'regenerate_jwt_shared_secret':
      return 'jwt-secret';
    case 'replace_saml_configuration':
      return 'saml';
  }
}

type Translate = ReturnType<typeof useI18n>['t'];

/** What was done, in the words of the item's done card. */
function doneText(item: ActionItem, t: Translate): string {
  switch (item.kind) {
    case 'rotate_installation_secrets':
      return t('actionItem.rotated', { app: item.app_name });
    case 'replace_certificate':
      return t('actionItem.revoked', { hosts: item.hostnames.join(', ') });
    case 'revoke_api_token':
      return t('actionItem.tokenRevoked', { name: item.description });
    case 'regenerate_oauth_client_secret':
      return t('actionItem.clientRegenerated', { name: item.name });
    case 'regenerate_jwt_shared_secret':
      return t('actionItem.jwtRegenerated');
    case 'replace_saml_configuration':
      return t('actionItem.samlReplaced');
  }
}

/** One to-do item, actionable where it stands: rotate, revoke, regenerate or replace. */
export function ActionItemCard(props: { item: ActionItem; csrf: string | null; onDone: (item: ActionItem) => void; done?: boolean }) {
  const { t } = useI18n();
  const { item, csrf, onDone } = props;
  if (props.done === true) {
    return (
      <li className="card card--done" data-testid="action-item" data-state="done">
        <div className="card__body">
          <p className="card__title">
            <span className="badge badge--ok">{t('actionItem.done')}</span> {doneText(item, t)}
          </p>
        </div>
      </li>
    );
  }
  switch (item.kind) {
    case 'rotate_installation_secrets':
      return <RotateInstallation item={item} csrf={csrf} onDone={onDone} />;
    case 'replace_certificate':
      return <ReplaceCertificate item={item} csrf={csrf} onDone={onDone} />;
    case 'revoke_api_token':
      return <RevokeApiToken item={item} csrf={csrf} onDone={onDone} />;
    case 'regenerate_oauth_client_secret':
      return <RegenerateClientSecret item={item} csrf={csrf} onDone={onDone} />;
    case 'regenerate_jwt_shared_secret':
      return <RegenerateJwtSecret item={item} csrf={csrf} onDone={onDone} />;
    case 'replace_saml_configuration':
      return <ReplaceSamlConfiguration item={item} csrf={csrf} onDone={onDone} />;
  }
}

/** A button that asks once more before an action that cannot be undone. */
function ConfirmedAction(props: { label: string; confirm: string; onConfirm: () => Promise<void> }) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  return confirming ? (
    <p className="button-row">
      <button type="button" className="button button--danger" onClick={() => void props.onConfirm()}>
        {props.confirm}
      </button>
      <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
        {t('common.cancel')}
      </button>
    </p>
  ) : (
    <button type="button" className="button button--secondary" onClick={() => setConfirming(true)}>
      {props.label}
    </button>
  );
}

/** A new secret, shown once, until the admin says it is kept; then the item is done. */
function SecretShown(props: { label: string; secret: string; onKept: () => void }) {
  const { t } = useI18n();
  return (
    <div className="secret-shown">
      <Field
        label={props.label}
        hint={t('actionItem.secretOnce')}
        value={props.secret}
        readOnly
        autoComplete="off"
        data-testid="new-secret"
      />
      <button type="button" className="button" onClick={props.onKept}>
        {t('actionItem.secretKept')}
      </button>
    </div>
  );
}

type InstallationItem = Extract<ActionItem, { kind: 'rotate_installation_secrets' }>;
type CertificateItem = Extract<ActionItem, { kind: 'replace_certificate' }>;

function RotateInstallation(props: { item: InstallationItem; csrf: string | null; onDone: (item: ActionItem) => void }) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const [values, setValues] = useState<Record<string, string>>({});
  const { error, setError, busy, act } = useRequests();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const missing = item.stale_fields.filter((field) => (values[field.field] ?? '').trim() === '');
    if (missing.length > 0) {
      setError(t('actionItem.fillAll'));
      return;
    }
    await act(async () => {
      await api(`/api/v2/apps/installations/${item.installation_id}.json`, {
        method: 'PUT',
        body: { settings: values },
        csrfToken: props.csrf,
      });
      announce(t('actionItem.rotated', { app: item.app_name }));
      props.onDone(item);
    });
  };
  const titleId = `installation-${item.installation_id}`;
  return (
    <li className="card" data-testid="action-item" data-state="open" aria-labelledby={titleId}>
      <div className="card__body">
        <p className="card__title" id={titleId}>
          {t('actionItem.rotateTitle', { app: item.app_name })}
        </p>
        <p className="muted">{t('actionItem.installed', { date: date(item.installed_at) })}</p>
        <form onSubmit={(event) => void submit(event)} noValidate className="inline-form" aria-labelledby={titleId}>
          <ErrorMessage message={error} />
          {item.stale_fields.map((field) => (
            <Field
              key={field.field}
              label={t('actionItem.newValue', { field: field.field })}
              hint={t('actionItem.setAt', { date: date(field.set_at) })}
              type="password"
              autoComplete="off"
              value={values[field.field] ?? ''}
              onChange={(e) => setValues({ ...values, [field.field]: e.target.value })}
            />
          ))}
          <SubmitButton busy={busy}>{t('actionItem.rotate')}</SubmitButton>
        </form>
      </div>
    </li>
  );
}

function ReplaceCertificate(props: { item: CertificateItem; csrf: string | null; onDone: (item: ActionItem) => void }) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const { error, setError, attempt } = useRequests();
  const revoke = async () => {
    setError(null);
    await attempt(async () => {
      await api(`/api/v2/certificates/${item.certificate_id}/revoke.json`, { method: 'PUT', csrfToken: props.csrf });
      announce(t('actionItem.revoked', { hosts: item.hostnames.join(', ') }));
      props.onDone(item);
    });
  };
  return (
    <li className="card" data-testid="action-item" data-state="open">
      <div className="card__body">
        <p className="card__title">{t('actionItem.certificateTitle', { hosts: item.hostnames.join(', ') })}</p>
        <p className="muted">{t('actionItem.certificateDates', { uploaded: date(item.uploaded_at), expires: date(item.not_after) })}</p>
        <ol className="steps">
          <li>
            <a href="#certificates">{t('actionItem.certificateStep1')}</a>
          </li>
          <li>{t('actionItem.certificateStep2')}</li>
          <li>{t('actionItem.certificateStep3')}</li>
        </ol>
        <ErrorMessage message={error} />
        <ConfirmedAction label={t('actionItem.revoke')} confirm={t('actionItem.revokeConfirm')} onConfirm={revoke} />
      </div>
    </li>
  );
}

type ItemProps<K extends ActionItem['kind']> = {
  item: Extract<ActionItem, { kind: K }>;
  csrf: string | null;
  onDone: (item: ActionItem) => void;
};

function RevokeApiToken(props: ItemProps<'revoke_api_token'>) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const { error, setError, attempt } = useRequests();
  const revoke = async () => {
    setError(null);
    await attempt(async () => {
      await api(`/api/v2/api_tokens/${item.api_token_id}.json`, { method: 'DELETE', csrfToken: props.csrf });
      announce(t('actionItem.tokenRevoked', { name: item.description }));
      props.onDone(item);
    });
  };
  return (
    <li className="card" data-testid="action-item" data-state="open">
      <div className="card__body">
        <p className="card__title">{t('actionItem.tokenTitle', { name: item.description })}</p>
        <p className="muted">
          {t('actionItem.tokenDates', {
            created: date(item.created_at),
            hint: item.token_hint,
            used: item.last_used_at === null ? t('actionItem.neverUsed') : date(item.last_used_at),
          })}
        </p>
        <p>{t('actionItem.tokenLead')}</p>
        <ErrorMessage message={error} />
        <ConfirmedAction label={t('actionItem.tokenRevoke')} confirm={t('actionItem.revokeConfirm')} onConfirm={revoke} />
      </div>
    </li>
  );
}

function RegenerateClientSecret(props: ItemProps<'regenerate_oauth_client_secret'>) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const [secret, setSecret] = useState<string | null>(null);
  const { error, setError, attempt } = useRequests();
  const regenerate = async () => {
    setError(null);
    await attempt(async () => {
      const answer = await api<{ client: { secret?: string } }>(`/api/v2/oauth/clients/${item.oauth_client_id}/generate_secret.json`, {
        method: 'PUT',
        csrfToken: props.csrf,
      });
      setSecret(answer.client.secret ?? '');
      announce(t('actionItem.clientRegenerated', { name: item.name }));
    });
  };
  return (
    <li className="card" data-testid="action-item" data-state="open">
      <div className="card__body">
        <p className="card__title">{t('actionItem.clientTitle', { name: item.name })}</p>
        <p className="muted">{t('actionItem.clientDates', { identifier: item.identifier, set: date(item.secret_set_at) })}</p>
        <ErrorMessage message={error} />
        {secret === null ? (
          <>
            <p>{t('actionItem.clientLead')}</p>
            <ConfirmedAction label={t('actionItem.regenerate')} confirm={t('actionItem.regenerateConfirm')} onConfirm={regenerate} />
          </>
        ) : (
          <SecretShown label={t('actionItem.clientSecret')} secret={secret} onKept={() => props.onDone(item)} />
        )}
      </div>
    </li>
  );
}

/** 32 random bytes, base64url: what JWT SSO takes as a shared secret (at least 32 characters). */
function newSharedSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function RegenerateJwtSecret(props: ItemProps<'regenerate_jwt_shared_secret'>) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const [secret, setSecret] = useState<string | null>(null);
  const { error, setError, attempt } = useRequests();
  const regenerate = async () => {
    setError(null);
    const next = newSharedSecret();
    await attempt(async () => {
      await api('/api/v2/account/sso.json', { method: 'PUT', body: { sso: { jwt: { shared_secret: next } } }, csrfToken: props.csrf });
      setSecret(next);
      announce(t('actionItem.jwtRegenerated'));
    });
  };
  return (
    <li className="card" data-testid="action-item" data-state="open">
      <div className="card__body">
        <p className="card__title">{t('actionItem.jwtTitle')}</p>
        <p className="muted">{t('actionItem.setOn', { date: date(item.set_at) })}</p>
        <ErrorMessage message={error} />
        {secret === null ? (
          <>
            <p>{t('actionItem.jwtLead')}</p>
            <ConfirmedAction label={t('actionItem.regenerate')} confirm={t('actionItem.regenerateConfirm')} onConfirm={regenerate} />
          </>
        ) : (
          <SecretShown label={t('actionItem.jwtSecret')} secret={secret} onKept={() => props.onDone(item)} />
        )}
      </div>
    </li>
  );
}

function ReplaceSamlConfiguration(props: ItemProps<'replace_saml_configuration'>) {
  const { t, date } = useI18n();
  const announce = useAnnounce();
  const { item } = props;
  const [certificate, setCertificate] = useState('');
  const { error, setError, busy, act } = useRequests();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (certificate.trim() === '') {
      setError(t('actionItem.samlCertificateMissing'));
      return;
    }
    await act(async () => {
      await api('/api/v2/account/sso.json', {
        method: 'PUT',
        body: { sso: { saml: { idp_certificate: certificate } } },
        csrfToken: props.csrf,
      });
      announce(t('actionItem.samlReplaced'));
      props.onDone(item);
    });
  };
  const id = 'saml-certificate';
  return (
    <li className="card" data-testid="action-item" data-state="open">
      <div className="card__body">
        <p className="card__title">{t('actionItem.samlTitle')}</p>
        <p className="muted">{t('actionItem.setOn', { date: date(item.set_at) })}</p>
        <p>{t('actionItem.samlLead')}</p>
        <form onSubmit={(event) => void submit(event)} noValidate className="inline-form">
          <ErrorMessage message={error} />
          <div className="field">
            <label htmlFor={id}>{t('actionItem.samlCertificate')}</label>
            <textarea id={id} rows={6} value={certificate} onChange={(e) => setCertificate(e.target.value)} spellCheck={false} />
          </div>
          <SubmitButton busy={busy}>{t('actionItem.samlSave')}</SubmitButton>
        </form>
      </div>
    </li>
  );
}
