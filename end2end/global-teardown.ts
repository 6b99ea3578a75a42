/**
 * Global teardown: stops the servers started by global-setup.ts, then the
 * run's MailDev (all recorded in end2end/.tmp/run-state.json), and drops the
 * servers' PostgreSQL databases. The data directories, logs and MailDev's
 * messages under end2end/.tmp/ stay for inspection.
 */
import { stopAll } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopAll();
}
