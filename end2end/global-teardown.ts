/**
 * Global teardown: stops the servers started by global-setup.ts (recorded in
 * end2end/.tmp/run-state.json) and drops their PostgreSQL databases. The data
 * directories and logs under end2end/.tmp/ stay for inspection.
 */
import { stopAll } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopAll();
}
