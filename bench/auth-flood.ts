/**
 * The attacker of `npm run bench:auth`, in a process of its own: floods
 * `GET /api/v2/users/me` with `email:password` Basic auth and wrong passwords
 * on the second account, over keep-alive connections bound to 127.0.0.2, a
 * client address of its own that is not the trusted proxy (127.0.0.1), so the
 * X-Forwarded-For it also sends is ignored. Floods until told to stop, then
 * reports how many answers of each status it got.
 * argv: port host email connections [source address, 127.0.0.2 by default]
 */
import http from 'node:http';

const [portArgument = '0', host = 'beta.localhost', email = 'bob@beta.test', connectionsArgument = '32', source = '127.0.0.2'] =
  process.argv.slice(2);
const port = Number(portArgument);
const connections = Number(connectionsArgument);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const statuses: Record<string, number> = {};
let running = true;

const basic = (password: string): string => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

function request(n: number): Promise<void> {
  return new Promise((resolve) => {
    const count = (status: string): void => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      resolve();
    };
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v2/users/me.json',
        agent,
        localAddress: source,
        // A spoofed client address: ignored, since 127.0.0.2 is not a trusted proxy.
        headers: { host, authorization: basic(`wrong-guess-${n}`), 'x-forwarded-for': `10.66.${n % 250}.${(n >> 8) % 250}` },
      },
      (response) => {
        response.resume();
        response.on('end', () => count(String(response.statusCode)));
      },
    );
    outgoing.on('error', () => count('error'));
    outgoing.end();
  });
}

async function worker(offset: number): Promise<void> {
  for (let n = offset; running; n += connections) await request(n);
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'stop') running = false;
});

const started = performance.now();
const workers = Promise.all(Array.from({ length: connections }, (_, index) => worker(index)));
process.send?.({ type: 'ready' });
await workers;
const seconds = (performance.now() - started) / 1000;
agent.destroy();
// Then let go of the parent's channel, so the process ends.
process.send?.({ type: 'flood', seconds, statuses }, () => process.disconnect());
