#!/usr/bin/env node
import { Command } from 'commander';
import { openRuntime } from '../main.js';
import { registerAccountsCommand } from './accounts.js';
import { registerAdvisoryCommand } from './advisory.js';
import { registerAuditCommand } from './audit.js';
import { registerRetentionCommand } from './retention.js';
import { registerUsersCommand } from './users.js';
import { registerDemoCommand } from './demo.js';
import { registerImportCommand } from './import.js';
import { registerIncidentCommand } from './incident.js';
import { registerIncidentNotifyCommand } from './incident-notify.js';
import { registerKeysCommand } from './keys.js';
import { registerPasswordsCommand } from './passwords.js';
import { reportCliError } from './runtime-options.js';
import { registerServeCommand } from './serve.js';
import { registerStaffCommand } from './staff.js';

const program = new Command('riposte')
  .description('Riposte: identity core and breach-response engine')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`riposte: ${text}`) });

registerServeCommand(program);
registerImportCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerDemoCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerAuditCommand(program);
registerRetentionCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerUsersCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerAccountsCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerPasswordsCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerKeysCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
const incident = registerIncidentCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerIncidentNotifyCommand(incident, ({ dataDir }) => openRuntime({ dataDir }));
registerStaffCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
registerAdvisoryCommand(program, ({ dataDir }) => openRuntime({ dataDir }));

program.parseAsync(process.argv).catch(reportCliError);
