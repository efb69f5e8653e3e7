/**
 * `npm run cluster:up [-- --api N --workers M]`, `npm run cluster:down [-- --purge]`,
 * `npm run cluster:status [-- --json]`. The state directory is `.cluster/`
 * in the repository, or `$RIPOSTE_CLUSTER_DIR`.
 */
import { parseArgs } from 'node:util';
import { clusterDown, clusterStatus, clusterUp, formatClusterStatus } from './cluster.js';

const USAGE = `usage: tsx cluster/cli.ts up [--api N] [--workers M] [--json]
       tsx cluster/cli.ts down [--purge] [--json]
       tsx cluster/cli.ts status [--json]`;

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${flag} takes a whole number, not "${value}"`);
  return Number(value);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      workers: { type: 'string' },
      purge: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help === true || command === undefined) {
    print(USAGE);
    return;
  }
  if (command === 'up') {
    const apiProcesses = count(values.api, '--api');
    const workerProcesses = count(values.workers, '--workers');
    const result = await clusterUp({
      ...(apiProcesses === undefined ? {} : { apiProcesses }),
      ...(workerProcesses === undefined ? {} : { workerProcesses }),
    });
    if (values.json === true) return print(JSON.stringify(result, null, 2));
    print(result.alreadyUp ? 'The cluster was already up; nothing was started.' : `The cluster is up (${result.seconds.toFixed(1)} s).`);
    print(
      `  API:      ${result.urls.api} (HTTPS ${result.urls.apiHttps}), ${result.riposte.filter((p) => p.role === 'api').length} API processes`,
    );
    print(
      `  workers:  ${result.riposte.filter((p) => p.role === 'worker').length}${result.rolesSupported ? '' : ' (no --role in this Riposte: every process runs all)'}`,
    );
    print(
      `  database: ${result.urls.database.replace(/:[^:@/]+@/, ':***@')} (HAProxy's write port; password in ${result.stateDir}/secrets.json)`,
    );
    print(`  leader ${result.leader}, synchronous standby ${result.syncStandbys.join(', ')}; HAProxy stats ${result.urls.haproxyStats}`);
    return;
  }
  if (command === 'down') {
    const result = await clusterDown({ purge: values.purge === true });
    if (values.json === true) return print(JSON.stringify(result, null, 2));
    if (result.stopped.length === 0) print(`Nothing of the cluster was running (state: ${result.stateDir}).`);
    else print(`Stopped ${result.stopped.length} processes.`);
    if (result.leftovers.length > 0) {
      process.exitCode = 1;
      print(`Still running: ${result.leftovers.join(', ')}`);
    }
    if (result.purged) print(`Removed ${result.stateDir}.`);
    return;
  }
  if (command === 'status') {
    const status = await clusterStatus();
    if (values.json === true) return print(JSON.stringify(status, null, 2));
    for (const line of formatClusterStatus(status)) print(line);
    // A script can tell a healthy cluster by the exit code: a leader and a synchronous standby.
    if (!status.up || status.leader === undefined || status.syncStandbys.length === 0) process.exitCode = 3;
    return;
  }
  throw new Error(`unknown command "${command}"\n${USAGE}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
