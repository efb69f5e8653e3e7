#!/usr/bin/env node
import { Command } from 'commander';
import { registerAuditCommand } from './audit.js';
import { reportCliError } from './runtime-options.js';
import { registerServeCommand } from './serve.js';

const program = new Command('riposte')
  .description('Riposte: identity core and breach-response engine')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`riposte: ${text}`) });

registerServeCommand(program);
registerAuditCommand(program);

program.parseAsync(process.argv).catch(reportCliError);
