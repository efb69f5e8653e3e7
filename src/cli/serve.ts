import { Option, type Command } from 'commander';
import { openRuntime, startServer } from '../main.js';
import { withDataDir } from './runtime-options.js';

interface ServeOptions {
  dataDir?: string;
  port?: string;
  httpsPort?: string;
  host?: string;
  baseDomain?: string;
  logLevel?: string;
  demoIfEmpty?: boolean;
}

export function registerServeCommand(program: Command): void {
  withDataDir(program.command('serve'))
    .description('apply migrations, then serve HTTP (never adds data)')
    .option('--port <port>', 'HTTP port (PORT)')
    .option('--https-port <port>', 'HTTPS port (HTTPS_PORT)')
    .option('--host <address>', 'listen address (HOST)')
    .option('--base-domain <domain>', 'accounts answer on {subdomain}.{base domain} (RIPOSTE_BASE_DOMAIN)')
    .option('--log-level <level>', 'log level (LOG_LEVEL)')
    .addOption(new Option('--demo-if-empty', 'create a small demo first when the database holds no account (npm start)').hideHelp())
    .action(async (options: ServeOptions) => {
      const runtime = await openRuntime({ ...options, logLevel: options.logLevel as never });
      const server = await startServer(runtime);
      process.stderr.write(`Riposte is listening on ${server.url} (database: ${runtime.handle.capabilities.kind})\n`);
      const stop = (): void => {
        void server.close().then(() => runtime.close());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
