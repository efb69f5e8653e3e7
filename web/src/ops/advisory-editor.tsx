import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { failureMessage } from '../ui/requests.js';
import { ADVISORY_LOCALES, type Advisory, type AdvisoryPreviewAnswer } from './advisory-types.js';
import type { OpsContext } from './ops-types.js';

const PREVIEW_DEBOUNCE_MS = 400;

/** One locale at a time: title and markdown beside the preview the public page will show; publish; dated updates. */
export function AdvisoryEditor(props: { context: OpsContext; advisory: Advisory; onChanged: () => void }) {
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const { advisory, context } = props;
  const [locale, setLocale] = useState(advisory.source_locale);
  const translation = advisory.translations.find((candidate) => candidate.locale === locale);
  const [title, setTitle] = useState(translation?.title ?? '');
  const [body, setBody] = useState(translation?.body ?? '');
  const [machine, setMachine] = useState(translation?.machine_translated ?? false);
  const [preview, setPreview] = useState<AdvisoryPreviewAnswer | { error: string } | null>(null);
  const [update, setUpdate] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setTitle(translation?.title ?? '');
    setBody(translation?.body ?? '');
    setMachine(translation?.machine_translated ?? false);
  }, [translation]);
  useEffect(() => {
    const timer = window.setTimeout(() => {
      api<AdvisoryPreviewAnswer>('/ops/v1/advisories/preview', { method: 'POST', body: { body }, csrfToken: context.csrf })
        .then(setPreview)
        .catch((caught: unknown) => setPreview({ error: failureMessage(caught, t('common.failed')) }));
    }, PREVIEW_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [body, context.csrf, t]);

  const run = async (what: string, action: () => Promise<unknown>, done: string) => {
    setBusy(what);
    setError(null);
    try {
      await action();
      announce(done);
      props.onChanged();
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
    } finally {
      setBusy(null);
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(
      'save',
      () =>
        api(`/ops/v1/advisories/${advisory.id}/translations/${locale}`, {
          method: 'PUT',
          body: { title, body, machine_translated: machine },
          csrfToken: context.csrf,
        }),
      t('ops.advisory.saved', { locale }),
    );
  };
  const postUpdate = (event: FormEvent) => {
    event.preventDefault();
    void run(
      'update',
      async () => {
        await api(`/ops/v1/advisories/${advisory.id}/updates`, { method: 'POST', body: { body: update }, csrfToken: context.csrf });
        setUpdate('');
      },
      t('ops.advisory.updatePosted'),
    );
  };
  const publishVerb = advisory.state === 'published' ? 'unpublish' : 'publish';

  return (
    <div>
      <section className="section" aria-labelledby="advisory-heading">
        <h2 id="advisory-heading">
          {advisory.title}{' '}
          <span className={`badge badge--advisory-${advisory.state}`}>
            {t(advisory.state === 'published' ? 'ops.advisory.published' : 'ops.advisory.draft')}
          </span>
        </h2>
        <ErrorMessage message={error} />
        <p className="button-row">
          <button
            type="button"
            className={advisory.state === 'published' ? 'button button--secondary' : 'button button--primary'}
            disabled={busy !== null}
            onClick={() =>
              void run(
                publishVerb,
                () => api(`/ops/v1/advisories/${advisory.id}/${publishVerb}`, { method: 'POST', csrfToken: context.csrf }),
                t(publishVerb === 'publish' ? 'ops.advisory.publishedNow' : 'ops.advisory.unpublishedNow'),
              )
            }
          >
            {t(publishVerb === 'publish' ? 'ops.advisory.publish' : 'ops.advisory.unpublish')}
          </button>
        </p>
        <p>{t('ops.advisory.pages')}</p>
        <ul className="compact-list">
          {Object.entries(advisory.pages).map(([pageLocale, path]) => (
            <li key={pageLocale}>
              <a href={path} target="_blank" rel="noopener">
                {path}
              </a>{' '}
              {advisory.state === 'published' ? null : <span className="muted">({t('ops.advisory.notPublic')})</span>}
            </li>
          ))}
        </ul>
      </section>

      <div className="tabs" role="group" aria-label={t('ops.advisory.locale')}>
        <ul>
          {ADVISORY_LOCALES.map((candidate) => {
            const existing = advisory.translations.find((item) => item.locale === candidate);
            return (
              <li key={candidate}>
                <button type="button" className="tab-button" aria-pressed={candidate === locale} onClick={() => setLocale(candidate)}>
                  {candidate === 'en' ? 'English' : 'Français'}
                  {existing === undefined
                    ? ` (${t('ops.advisory.missing')})`
                    : existing.is_source
                      ? ` (${t('ops.advisory.source')})`
                      : existing.outdated
                        ? ` (${t('ops.advisory.outdated')})`
                        : ''}
                </button>
              </li>
            );
          })}
        </ul>
      </div>

      <div className="columns">
        <form className="section" onSubmit={save} noValidate aria-label={t('ops.advisory.editLocale', { locale })}>
          <Field label={t('ops.advisory.title')} value={title} lang={locale} onChange={(e) => setTitle(e.target.value)} />
          <div className="field">
            <label htmlFor="advisory-edit-body">{t('ops.advisory.body')}</label>
            <textarea
              id="advisory-edit-body"
              className="code"
              rows={16}
              lang={locale}
              value={body}
              onChange={(e) => setBody(e.target.value)}
            />
          </div>
          {translation?.is_source === true ? null : (
            <div className="field field--check">
              <input id="advisory-machine" type="checkbox" checked={machine} onChange={(e) => setMachine(e.target.checked)} />
              <label htmlFor="advisory-machine">{t('ops.advisory.machine')}</label>
            </div>
          )}
          <SubmitButton busy={busy === 'save'}>{t('ops.advisory.save', { locale })}</SubmitButton>
        </form>
        <section className="section" aria-labelledby="preview-heading">
          <h2 id="preview-heading">{t('ops.advisory.preview', { locale })}</h2>
          {preview === null ? null : 'error' in preview ? (
            <ErrorMessage message={preview.error} />
          ) : (
            // The server renders with the public page's allowlist; the CSP forbids inline script anyway.
            <article className="advisory-preview" lang={locale} data-testid="advisory-preview">
              <h1>{title}</h1>
              <div dangerouslySetInnerHTML={{ __html: preview.html }} />
            </article>
          )}
        </section>
      </div>

      <section className="section" aria-labelledby="updates-heading">
        <h2 id="updates-heading">{t('ops.advisory.updates')}</h2>
        {advisory.updates.length === 0 ? <p className="muted">{t('ops.advisory.noUpdates')}</p> : null}
        <ol className="timeline" reversed>
          {[...advisory.updates].reverse().map((item) => (
            <li key={item.seq}>
              <time dateTime={item.posted_at}>{dateTime(item.posted_at)}</time>
              {item.bodies.map((entry) => (
                <p key={entry.locale} lang={entry.locale}>
                  <span className="badge">{entry.locale}</span> {entry.body}
                </p>
              ))}
            </li>
          ))}
        </ol>
        <form onSubmit={postUpdate} noValidate>
          <div className="field">
            <label htmlFor="advisory-update">{t('ops.advisory.newUpdate', { locale: advisory.source_locale })}</label>
            <textarea id="advisory-update" rows={3} value={update} onChange={(e) => setUpdate(e.target.value)} />
          </div>
          <SubmitButton busy={busy === 'update'} variant="secondary">
            {t('ops.advisory.postUpdate')}
          </SubmitButton>
        </form>
      </section>
    </div>
  );
}
