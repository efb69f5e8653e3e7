import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { I18nProvider, initialLocale, useI18n } from '../i18n/i18n.js';
import { navigate, useLocation } from '../router.js';
import { Loading, Shell } from '../ui/layout.js';
import { AccountLifecyclePage } from './account-lifecycle.js';
import { CampaignLive } from './campaign-live.js';
import { IncidentPage } from './incident-page.js';
import { IncidentsPage } from './incidents.js';
import type { StaffSessionWire } from '../../../src/modules/staff/staff-session.schema.js';
import type { OpsContext } from './ops-types.js';
import { StaffSignIn } from './staff-sign-in.js';

export const CONSOLE = '/ops/console';

/** The operator console on the base host: staff sign-in, incidents, scope, campaigns. */
export function OpsApp() {
  return (
    <I18nProvider initial={initialLocale(null)}>
      <OpsRoutes />
    </I18nProvider>
  );
}

function OpsRoutes() {
  const { t } = useI18n();
  const { path } = useLocation();
  const [context, setContext] = useState<OpsContext | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      const session = await api<StaffSessionWire>('/ops/v1/session');
      setContext({ staff: session.staff, csrf: session.csrf_token });
    } catch {
      setContext(null);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = async () => {
    await api('/ops/v1/session', { method: 'DELETE', csrfToken: context?.csrf ?? null }).catch(() => undefined);
    setContext(null);
    navigate(`${CONSOLE}/`, { replace: true });
  };

  const nav =
    context === null || context === undefined
      ? []
      : [
          { href: `${CONSOLE}/`, label: t('ops.nav.incidents'), current: path === CONSOLE },
          { href: `${CONSOLE}/accounts`, label: t('ops.nav.accounts'), current: path === `${CONSOLE}/accounts` },
        ];
  const actions =
    context === null || context === undefined ? null : (
      <>
        <span className="who">{context.staff.name}</span>
        <button type="button" className="button button--quiet" onClick={() => void signOut()}>
          {t('nav.signOut')}
        </button>
      </>
    );

  let page;
  const incident = /^\/ops\/console\/incidents\/(\d+)(?:\/(scope|campaigns|notices|advisory))?$/.exec(path);
  const campaign = /^\/ops\/console\/campaigns\/(\d+)$/.exec(path);
  if (context === undefined) page = <Loading />;
  else if (context === null) page = <StaffSignIn onSignedIn={setContext} />;
  else if (incident !== null)
    page = <IncidentPage context={context} incidentId={Number(incident[1])} section={incident[2] ?? 'overview'} />;
  else if (campaign !== null) page = <CampaignLive context={context} campaignId={Number(campaign[1])} />;
  else if (path === `${CONSOLE}/accounts`) page = <AccountLifecyclePage context={context} />;
  else page = <IncidentsPage context={context} />;
  return (
    <Shell brand="Riposte" subtitle={t('brand.ops')} nav={nav} actions={actions} wide>
      {page}
    </Shell>
  );
}
