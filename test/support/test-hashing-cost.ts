import { loadConfig } from '../../src/config/config.js';
import { setPasswordHashCost } from '../../src/modules/auth/passwords/password-hashing.js';

// Tests hash thousands of passwords: a cheap argon2id cost, set through the
// settings production uses (and inherited by processes the tests start).
// `password-hashing.test.ts` checks the production default itself.
process.env.RIPOSTE_PASSWORD_HASH_MEMORY_KIB ??= '1024';
process.env.RIPOSTE_PASSWORD_HASH_TIME_COST ??= '1';
const config = loadConfig(process.env);
setPasswordHashCost({ memoryCost: config.passwordHashMemoryKib, timeCost: config.passwordHashTimeCost });
