import { Option, type Command } from 'commander';
import { countAccounts } from '../modules/accounts/accounts.repo.js';
import { runSmallDemo } from '../modules/population/demo.service.js';
import { openRuntime, PROCESS_ROLES, startServer, type ProcessRole, type Runtime } from '../main.js';
import { withDataDir } from './runtime-options.js';

interface ServeOptions {
  dataDir?: string;
  port?: string;
  httpsPort?: string;
  host?: string;
  baseDomain?: string;
  logLevel?: string;
  demoIfEmpty?: boolean;
  role: ProcessRole;
}

const isEmpty = async (runtime: Runtime): Promise<boolean> => (await countAccounts(runtime.db)) === 0;

async function createSmallDemo(runtime: Runtime): Promise<string[]> {
  const { baseDomain, port } = runtime.config;
  const report = await runSmallDemo(runtime.handle, runtime, (subdomain) => `http://${subdomain}.${baseDomain}:${port}`);
  const signIn = `Sign in: curl -u EMAIL:PASSWORD -H 'Host: SUBDOMAIN.${baseDomain}' http://127.0.0.1:${port}/api/v2/users/me.json (or POST /access/sign_in)`;
  const web = [
    `In a browser: http://acme.${baseDomain}:${port}/ (sign in as a demo user; admins have /security),`,
    `  operators: http://${baseDomain}:${port}/ops/console/ after \`npx riposte staff create --email you@example.test --name You --role operator\``,
  ];
  return ['', 'The data directory was empty, so a small demo was created:', ...report.lines, signIn, ...web];
}

export function registerServeCommand(program: Command): void {
  withDataDir(program.command('serve'))
    .description('apply migrations, then serve HTTP (never adds data)')
    .option('--port <port>', 'HTTP port (PORT)')
    .option('--https-port <port>', 'HTTPS port (HTTPS_PORT)')
    .option('--host <address>', 'listen address (HOST)')
    .option('--base-domain <domain>', 'accounts answer on {subdomain}.{base domain} (RIPOSTE_BASE_DOMAIN)')
    .option('--log-level <level>', 'log level (LOG_LEVEL)')
    .addOption(
      new Option('--role <role>', 'api: HTTP and HTTPS, no background jobs; worker: background jobs, health and metrics only; all: both')
        .choices(PROCESS_ROLES)
        .default('all')
        .env('RIPOSTE_ROLE'),
    )
    .addOption(new Option('--demo-if-empty', 'create a small demo first when the database holds no account (npm start)').hideHelp())
    .action(async (options: ServeOptions) => {
      const runtime = await openRuntime({ ...options, logLevel: options.logLevel as never });
      const demoLines = options.demoIfEmpty === true && (await isEmpty(runtime)) ? await createSmallDemo(runtime) : [];
      const server = await startServer(runtime, options.role);
      const where = options.role === 'worker' ? `${server.url} (health and metrics)` : `${server.url} and ${server.httpsUrl}`;
      process.stderr.write(`Riposte (${options.role}) is listening on ${where} (database: ${runtime.handle.capabilities.kind})\n`);
      for (const line of demoLines) process.stderr.write(`${line}\n`);
      const stop = (): void => {
        void server.close().then(() => runtime.close());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
