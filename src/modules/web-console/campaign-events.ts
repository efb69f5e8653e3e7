import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { campaignCompletion, getCampaign } from '../incidents/campaigns.service.js';
import type { CampaignView } from '../incidents/campaign-view.js';
import { presentCampaign, presentCampaignWithCompletion, presentCompletion } from '../incidents/campaigns-ops.schema.js';
import { findStaffPrincipal } from '../staff/staff.service.js';
import type { CampaignEventName, CampaignEventWire } from './ops-console.schema.js';

/** How often a stream reads the campaign: progress moves batch by batch, so a second is live enough. */
export const CAMPAIGN_STREAM_TICK_MS = 1_000;
/** Completion (who has set a new password) is a grouped count over the targets: every 10 ticks, and when the state changes. */
const COMPLETION_EVERY_TICKS = 10;
/** The staff session is checked again this often, so a stream dies with its session. */
const SESSION_CHECK_EVERY_TICKS = 15;
/** A comment line keeps proxies from closing an idle stream. */
const HEARTBEAT_EVERY_TICKS = 15;

/** Open streams one process holds at most: each costs a read a second. */
export const MAX_CAMPAIGN_STREAMS = 500;

const progressKey = (view: CampaignView): string => `${view.state}:${view.progress.done}:${view.progress.total}`;

/** One server-sent event, `data` as one JSON line in the event's wire shape (`campaignEventSchemas`). */
export const formatServerSentEvent = <E extends CampaignEventName>(event: E, data: CampaignEventWire<E>): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The open progress streams of one app: each runs one loop that reads the
 * campaign from the database every tick and writes an event only when
 * something changed, so a thousand watchers cost a thousand cheap reads a
 * second and no client polls. `closeAll` ends them when the server stops.
 */
export class CampaignEventStreams {
  private readonly open = new Set<() => void>();

  constructor(private readonly deps: Pick<ServiceDeps, 'db' | 'clock'>) {}

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  /**
   * Takes the reply over and streams `snapshot` (campaign and completion),
   * then `progress` on every change and `completion` now and then, until the
   * client goes, the staff session ends (`signed_out`) or the server stops.
   */
  async stream(request: FastifyRequest, reply: FastifyReply, campaignId: number, staffToken: string): Promise<void> {
    if (this.open.size >= MAX_CAMPAIGN_STREAMS)
      throw new AppError('TooManyRequests', 'Too many live progress streams are open on this server; close some console tabs and retry.');
    // Unknown campaigns are a plain 404 before the stream starts.
    let last = await getCampaign(this.deps, campaignId);
    const completion = await campaignCompletion(this.deps, campaignId);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    raw.write(`retry: 2000\n${formatServerSentEvent('snapshot', presentCampaignWithCompletion(last, completion))}`);

    let ticks = 0;
    let busy = false;
    let timer: NodeJS.Timeout | undefined;
    const close = (): void => {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      this.open.delete(close);
      raw.end();
    };
    const send = (text: string): void => {
      if (timer !== undefined) raw.write(text);
    };
    const tick = async (): Promise<void> => {
      ticks += 1;
      if (ticks % SESSION_CHECK_EVERY_TICKS === 0 && (await findStaffPrincipal(this.deps, staffToken)) === null) {
        send(formatServerSentEvent('signed_out', { description: 'Your staff session ended; sign in again.' }));
        return close();
      }
      const view = await getCampaign(this.deps, campaignId);
      const stateChanged = view.state !== last.state;
      if (progressKey(view) !== progressKey(last)) {
        send(
          formatServerSentEvent('progress', {
            campaign: presentCampaign(view),
            at: view.finishedAt ?? this.deps.clock.now().toISOString(),
          }),
        );
      }
      if (stateChanged || ticks % COMPLETION_EVERY_TICKS === 0) {
        send(formatServerSentEvent('completion', presentCompletion(await campaignCompletion(this.deps, campaignId))));
      } else if (ticks % HEARTBEAT_EVERY_TICKS === 0) send(': keep-alive\n\n');
      last = view;
    };
    timer = setInterval(() => {
      if (busy || timer === undefined) return;
      busy = true;
      tick()
        .catch((error: unknown) => request.log.warn({ err: error, campaignId }, 'campaign progress stream read failed'))
        .finally(() => {
          busy = false;
        });
    }, CAMPAIGN_STREAM_TICK_MS);
    this.open.add(close);
    request.raw.on('close', close);
  }
}
