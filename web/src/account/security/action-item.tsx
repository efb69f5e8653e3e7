import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import { useAnnounce } from '../../ui/announcer.js';
import { ErrorMessage, Field, SubmitButton } from '../../ui/forms.js';
import { useRequests } from '../../ui/requests.js';
import type { ActionItem } from './security-types.js';

/** One to-do item, actionable where it stands: rotate an installation's keys, or revoke an exposed certificate. */
export function ActionItemCard(props: { item: ActionItem; csrf: string | null; onDone: (item: ActionItem) => void; done?: boolean }) {
  const { t } = useI18n();
  if (props.done === true) {
    const name = props.item.kind === 'rotate_installation_secrets' ? props.item.app_name : props.item.hostnames.join(', ');
    return (
      <li className="card card--done" data-testid="action-item" data-state="done">
        <div className="card__body">
          <p className="card__title">
            <span className="badge badge--ok">{t('actionItem.done')}</span>{' '}
            {props.item.kind === 'rotate_installation_secrets'
              ? t('actionItem.rotated', { app: name })
              : t('actionItem.revoked', { hosts: name })}
          </p>
        </div>
      </li>
    );
  }
  return props.item.kind === 'rotate_installation_secrets' ? (
    <RotateInstallation item={props.item} csrf={props.csrf} onDone={props.onDone} />
  ) : (
    <ReplaceCertificate item={props.item} csrf={props.csrf} onDone={props.onDone} />
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
  const [confirming, setConfirming] = useState(false);
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
        {confirming ? (
          <p className="button-row">
            <button type="button" className="button button--danger" onClick={() => void revoke()}>
              {t('actionItem.revokeConfirm')}
            </button>
            <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </button>
          </p>
        ) : (
          <button type="button" className="button button--secondary" onClick={() => setConfirming(true)}>
            {t('actionItem.revoke')}
          </button>
        )}
      </div>
    </li>
  );
}
