#!/usr/bin/env node
import { Command } from 'commander';
import { openRuntime } from '../main.js';
import { registerAuditCommand } from './audit.js';
import { registerKeysCommand } from './keys.js';
import { reportCliError } from './runtime-options.js';
import { registerServeCommand } from './serve.js';

const program = new Command('riposte')
  .description('Riposte: identity core and breach-response engine')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`riposte: ${text}`) });

registerServeCommand(program);
registerAuditCommand(program);
registerKeysCommand(program, ({ dataDir }) => openRuntime({ dataDir }));

program.parseAsync(process.argv).catch(reportCliError);
