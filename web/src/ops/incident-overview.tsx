import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { failureMessage } from '../ui/requests.js';
import { stateKey } from '../i18n/labels.js';
import type { IncidentAnswer, IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';

/** State with its allowed moves, tasks (add, mark done) and the timeline. */
export function IncidentOverview(props: { context: OpsContext; incident: IncidentWire; onChanged: (incident: IncidentWire) => void }) {
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const { incident, context } = props;
  const [nextState, setNextState] = useState(incident.allowed_next_states[0] ?? '');
  const [note, setNote] = useState('');
  const [taskTitle, setTaskTitle] = useState('');
  const [taskOwner, setTaskOwner] = useState('');
  const [taskDue, setTaskDue] = useState('');
  const [evidenceAccount, setEvidenceAccount] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = async () => props.onChanged((await api<IncidentAnswer>(`/ops/v1/incidents/${incident.id}`)).incident);
  const run = async (what: string, action: () => Promise<void>, done: string) => {
    setBusy(what);
    setError(null);
    try {
      await action();
      await reload();
      announce(done);
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
    } finally {
      setBusy(null);
    }
  };
  const transition = (event: FormEvent) => {
    event.preventDefault();
    void run(
      'transition',
      async () => {
        await api(`/ops/v1/incidents/${incident.id}/transitions`, {
          method: 'POST',
          body: { state: nextState, ...(note.trim() === '' ? {} : { note }) },
          csrfToken: context.csrf,
        });
        setNote('');
      },
      t('ops.overview.moved', { state: t(stateKey(nextState)) }),
    );
  };
  const addTask = (event: FormEvent) => {
    event.preventDefault();
    void run(
      'task',
      async () => {
        await api(`/ops/v1/incidents/${incident.id}/tasks`, {
          method: 'POST',
          body: { title: taskTitle, owner: taskOwner.trim() === '' ? null : taskOwner, due_at: taskDue.trim() === '' ? null : taskDue },
          csrfToken: context.csrf,
        });
        setTaskTitle('');
        setTaskOwner('');
        setTaskDue('');
      },
      t('ops.tasks.added'),
    );
  };
  return (
    <div className="columns">
      <div>
        <ErrorMessage message={error} />
        <section className="section" aria-labelledby="state-heading">
          <h2 id="state-heading">{t('ops.overview.state')}</h2>
          <p>
            {t('ops.overview.current')} <strong>{t(stateKey(incident.state))}</strong>
          </p>
          {incident.allowed_next_states.length === 0 ? (
            <p className="muted">{t('ops.overview.final')}</p>
          ) : (
            <form onSubmit={transition} className="inline-form">
              <div className="field">
                <label htmlFor="next-state">{t('ops.overview.moveTo')}</label>
                <select id="next-state" value={nextState} onChange={(e) => setNextState(e.target.value)}>
                  {incident.allowed_next_states.map((state) => (
                    <option key={state} value={state}>
                      {t(stateKey(state))}
                    </option>
                  ))}
                </select>
              </div>
              <Field label={t('ops.overview.note')} value={note} onChange={(e) => setNote(e.target.value)} />
              <SubmitButton busy={busy === 'transition'}>{t('ops.overview.move')}</SubmitButton>
            </form>
          )}
        </section>
        <section className="section" aria-labelledby="tasks-heading">
          <h2 id="tasks-heading">{t('ops.tasks.title')}</h2>
          <ul className="tasks">
            {incident.tasks.map((task) => (
              <li key={task.id} className={task.done_at !== null ? 'task task--done' : task.overdue ? 'task task--overdue' : 'task'}>
                <div>
                  <p className="task__title">{task.title}</p>
                  <p className="muted">
                    {task.owner === null ? t('ops.tasks.noOwner') : task.owner}
                    {task.due_at === null ? '' : ` · ${t('ops.tasks.due', { date: dateTime(task.due_at) })}`}
                    {task.overdue ? ` · ${t('ops.tasks.overdue')}` : ''}
                    {task.done_at === null ? '' : ` · ${t('ops.tasks.doneAt', { date: dateTime(task.done_at) })}`}
                  </p>
                </div>
                {task.done_at === null ? (
                  <p className="button-row">
                    {[false, true].map((visible) => (
                      <button
                        key={String(visible)}
                        type="button"
                        className="button button--secondary"
                        onClick={() =>
                          void run(
                            `done-${task.id}`,
                            async () => {
                              await api(`/ops/v1/incidents/${incident.id}/tasks/${task.id}/done`, {
                                method: 'POST',
                                body: { public: visible },
                                csrfToken: context.csrf,
                              });
                            },
                            t(visible ? 'ops.tasks.markedPublic' : 'ops.tasks.marked'),
                          )
                        }
                      >
                        {t(visible ? 'ops.tasks.markDonePublic' : 'ops.tasks.markDone')}
                        <span className="visually-hidden">: {task.title}</span>
                      </button>
                    ))}
                  </p>
                ) : task.public ? (
                  <span className="badge badge--ok">{t('ops.tasks.public')}</span>
                ) : null}
              </li>
            ))}
          </ul>
          <form onSubmit={addTask} className="inline-form" aria-label={t('ops.tasks.add')}>
            <Field label={t('ops.tasks.name')} required value={taskTitle} onChange={(e) => setTaskTitle(e.target.value)} />
            <Field label={t('ops.tasks.owner')} value={taskOwner} onChange={(e) => setTaskOwner(e.target.value)} />
            <Field label={t('ops.tasks.dueField')} hint={t('ops.isoHint')} value={taskDue} onChange={(e) => setTaskDue(e.target.value)} />
            <SubmitButton busy={busy === 'task'} variant="secondary">
              {t('ops.tasks.add')}
            </SubmitButton>
          </form>
        </section>
      </div>
      <div>
        <section className="section" aria-labelledby="evidence-heading">
          <h2 id="evidence-heading">{t('ops.evidence.title')}</h2>
          <p className="muted">{t('ops.evidence.lead')}</p>
          <Field
            label={t('ops.evidence.account')}
            value={evidenceAccount}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setEvidenceAccount(e.target.value.trim().toLowerCase())}
          />
          {/^[a-z0-9-]{1,63}$/.test(evidenceAccount) ? (
            <p className="button-row">
              <a
                className="button button--secondary"
                target="_blank"
                rel="noopener"
                href={`/ops/v1/incidents/${incident.id}/evidence?account=${encodeURIComponent(evidenceAccount)}&format=html`}
              >
                {t('security.evidenceHtml')}
              </a>
              <a
                className="button button--secondary"
                download={`article-33-incident-${incident.id}-${evidenceAccount}.json`}
                href={`/ops/v1/incidents/${incident.id}/evidence?account=${encodeURIComponent(evidenceAccount)}`}
              >
                {t('security.evidenceJson')}
              </a>
            </p>
          ) : null}
        </section>
        <section className="section" aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">{t('ops.timeline.title')}</h2>
          <ol className="timeline" reversed>
            {[...incident.timeline].reverse().map((event) => (
              <li key={event.seq}>
                <time dateTime={event.occurred_at}>{dateTime(event.occurred_at)}</time>
                <p>{event.summary}</p>
                <p className="muted">{event.actor}</p>
              </li>
            ))}
          </ol>
        </section>
      </div>
    </div>
  );
}
