/**
 * Global setup for the Tessera end-to-end suite.
 *
 * Starts one Tessera server per Playwright project (sqlite-js, sqlite-nojs,
 * postgres-js, postgres-nojs), each on its own free port with its own data
 * directory and its own fresh database, waits until each answers
 * `GET /readyz` with 200 and has printed its first-run setup link, and writes
 * `end2end/.tmp/servers.json` (project name -> { baseURL, setupLink, mailURL,
 * dataDir, databaseUrl }), which the tests read through the fixtures in
 * `pages/fixtures.ts` (dataDir and databaseUrl let them run the operator CLI
 * against the server's own database: see pages/Cli.ts).
 *
 * Mail: before the servers, it starts ONE MailDev (npm `maildev`, a real SMTP
 * server that keeps every message and lists them as JSON at
 * `GET <mailURL>/api/email`) on two free loopback ports, and gives every server
 * `TESSERA_SMTP_URL=smtp://127.0.0.1:<smtp port>`. All projects share it, so
 * tests tell their mail apart by recipient (see pages/MailDev.ts). Its log is
 * `end2end/.tmp/maildev.log`, its messages `end2end/.tmp/maildev/`.
 *
 * Everything needed to stop MailDev and the servers and to drop the PostgreSQL databases is
 * recorded in `end2end/.tmp/run-state.json` as soon as it exists, so that
 * `global-teardown.ts` (which Playwright runs even when this setup fails) can
 * clean up after a partial start too.
 *
 * Environment:
 *   TESSERA_E2E_BIN            server binary (default: target/release/tessera)
 *   TESSERA_TEST_POSTGRES_URL  admin URL of a PostgreSQL server (required when
 *                              a postgres project runs), e.g.
 *                              postgres://postgres@127.0.0.1:5432/postgres
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { FullConfig, FullProject } from '@playwright/test';

export const E2E_DIR = __dirname;
export const REPO_ROOT = path.resolve(__dirname, '..');
export const TMP_DIR = path.join(E2E_DIR, '.tmp');
export const SERVERS_FILE = path.join(TMP_DIR, 'servers.json');
export const STATE_FILE = path.join(TMP_DIR, 'run-state.json');

const DEFAULT_BIN = 'target/release/tessera';
/** The MailDev launcher installed by `npm ci` (devDependency `maildev`). */
const MAILDEV_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'maildev');
const MAILDEV_LOG = path.join(TMP_DIR, 'maildev.log');
const MAILDEV_DIR = path.join(TMP_DIR, 'maildev');
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 250;
const LOG_TAIL_LINES = 60;
const SETUP_LINK_RE = /(https?:\/\/[^\s"']+\/setup\?token=[A-Za-z0-9_-]+)/;
// Strip ANSI colour codes (tracing colours its output even into a file).
const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;
const DB_NAME_RE = /^tessera_e2e_[0-9a-f]+$/;

export type DatabaseKind = 'sqlite' | 'postgres';

/** What the tests see, per project (the contents of servers.json). */
export interface ServerEntry {
  baseURL: string;
  setupLink: string;
  /** The run's MailDev web/API root (shared by every project), e.g. http://127.0.0.1:40123. */
  mailURL: string;
  /** The server's TESSERA_DATA_DIR (absolute), for the operator CLI. */
  dataDir: string;
  /** The server's TESSERA_DATABASE_URL, for the operator CLI. */
  databaseUrl: string;
  /** The server's TESSERA_SMTP_URL (the run's MailDev), so the operator CLI's mail goes there too. */
  smtpUrl: string;
}

/** What teardown needs, per project. */
interface ServerState {
  project: string;
  database: DatabaseKind;
  bin: string;
  port: number;
  baseURL: string;
  dataDir: string;
  log: string;
  pid?: number;
  pgDatabase?: string;
}

/** What teardown needs to stop MailDev. */
interface MailDevState {
  bin: string;
  smtpPort: number;
  webPort: number;
  webURL: string;
  log: string;
  pid?: number;
}

interface RunState {
  postgresAdminUrl?: string;
  maildev?: MailDevState;
  servers: ServerState[];
}

// ---------------------------------------------------------------------------
// small helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

function readState(): RunState | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

export function logTail(file: string, lines = LOG_TAIL_LINES): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').replace(ANSI_RE, '');
  } catch (e) {
    return `(could not read ${file}: ${(e as Error).message})`;
  }
  const all = text.split('\n');
  const tail = all.slice(-lines).join('\n').trimEnd();
  return tail.length > 0 ? tail : '(no output)';
}

/** Finds free TCP ports by binding to port 0 (all at once, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function runPsql(adminUrl: string, sql: string): void {
  try {
    execFileSync('psql', [adminUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '10' },
      timeout: 60_000,
    });
  } catch (e) {
    const err = e as Error & { stderr?: Buffer; stdout?: Buffer };
    const detail = [err.stderr?.toString(), err.stdout?.toString(), err.message]
      .filter((s) => s && s.trim().length > 0)
      .join('\n')
      .trim();
    throw new Error(`psql failed running ${JSON.stringify(sql)} against ${redact(adminUrl)}:\n${detail}`);
  }
}

/** Hides a password in a connection URL, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The admin URL with its database name replaced. */
function withDatabase(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The server binary (TESSERA_E2E_BIN or target/release/tessera); the operator CLI is the same binary. */
export function resolveBinary(): string {
  const configured = process.env.TESSERA_E2E_BIN;
  const bin = path.resolve(REPO_ROOT, configured && configured.length > 0 ? configured : DEFAULT_BIN);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new Error(
      `Tessera server binary not found or not executable: ${bin}\n` +
        (configured
          ? 'It comes from TESSERA_E2E_BIN; point it at a built server binary.'
          : 'Build it first (cargo leptos build --release), or set TESSERA_E2E_BIN to another build ' +
            '(e.g. TESSERA_E2E_BIN=target/debug/tessera).'),
    );
  }
  return bin;
}

/** The projects this run executes (honours `--project`), falling back to all. */
function selectedProjects(config: FullConfig): FullProject[] {
  const filtered = (config as FullConfig & { filteredProjects?: FullProject[] }).filteredProjects;
  return filtered && filtered.length > 0 ? filtered : config.projects;
}

function databaseOf(project: FullProject): DatabaseKind {
  const db = project.metadata?.database;
  if (db !== 'sqlite' && db !== 'postgres') {
    throw new Error(
      `Playwright project "${project.name}" has no metadata.database ('sqlite' or 'postgres'); ` +
        'every project needs one so that global setup can start its server.',
    );
  }
  return db;
}

function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised command name) is the state; Z = zombie, X = dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `pid` still runs our binary (guards against PID reuse). */
function pidRunsBinary(pid: number, bin: string): boolean {
  try {
    // argv[0] for a binary; a later argument when it is a script run through an interpreter.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(bin);
  } catch (e) {
    // No /proc (not Linux): trust the PID.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' && pidAlive(pid);
  }
}

async function stopProcess(pid: number, bin: string, label: string): Promise<void> {
  if (!pidAlive(pid) || !pidRunsBinary(pid, bin)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return;
    await sleep(100);
  }
  console.warn(`[e2e] ${label} (pid ${pid}) ignored SIGTERM for 10 s; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Stops every server recorded in run-state.json, then MailDev, drops the
 * PostgreSQL databases, and removes servers.json and run-state.json. Safe to
 * call twice. Used by global-teardown.ts, and by setup itself when a server fails.
 */
export async function stopAll(): Promise<void> {
  const state = readState();
  if (!state) return;
  await Promise.all(
    state.servers
      .filter((s) => s.pid !== undefined)
      .map((s) => stopProcess(s.pid as number, s.bin, `server ${s.project}`)),
  );
  // After the servers, so that none of them is left talking to a closed SMTP port.
  if (state.maildev?.pid !== undefined) {
    await stopProcess(state.maildev.pid, state.maildev.bin, 'MailDev');
  }
  const problems: string[] = [];
  for (const s of state.servers) {
    if (!s.pgDatabase || !state.postgresAdminUrl) continue;
    if (!DB_NAME_RE.test(s.pgDatabase)) continue;
    try {
      runPsql(state.postgresAdminUrl, `DROP DATABASE IF EXISTS ${s.pgDatabase} WITH (FORCE)`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  fs.rmSync(SERVERS_FILE, { force: true });
  fs.rmSync(STATE_FILE, { force: true });
  if (problems.length > 0) {
    console.warn(`[e2e] could not drop every test database:\n${problems.join('\n')}`);
  }
}

// ---------------------------------------------------------------------------
// starting servers

interface Running {
  state: ServerState;
  databaseUrl: string;
  child: ChildProcess;
  exit?: string;
}

function startServer(s: ServerState, databaseUrl: string, smtpUrl: string): Running {
  fs.writeFileSync(
    s.log,
    `# tessera e2e [${s.project}] ${new Date().toISOString()}\n` +
      `# ${s.bin} (cwd ${REPO_ROOT}) on ${s.baseURL}, data dir ${s.dataDir}, database ${redact(databaseUrl)}\n`,
  );
  const fd = fs.openSync(s.log, 'a');
  let child: ChildProcess;
  try {
    // Output goes straight to the log file (both streams), so the server never
    // blocks on a full pipe whatever the test runner does afterwards.
    child = spawn(s.bin, [], {
      cwd: REPO_ROOT,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${s.port}`,
        TESSERA_ADDR: `127.0.0.1:${s.port}`,
        LEPTOS_SITE_ROOT: 'target/site',
        TESSERA_DATA_DIR: s.dataDir,
        TESSERA_DATABASE_URL: databaseUrl,
        TESSERA_BASE_URL: s.baseURL,
        // A one-minute step-up window, so the suite can see a second factor go stale.
        TESSERA_STEP_UP_MINUTES: '1',
        // Every test signs in from 127.0.0.1: one address doing a whole suite's sign-ins in a few
        // minutes, as an office behind one NAT address would. (The default is tested over HTTP.)
        TESSERA_SIGNIN_BURST: '1000',
        TESSERA_SMTP_URL: smtpUrl,
        // Scheduled mail (reminders) looked for every 2 seconds rather than every minute.
        TESSERA_SCHEDULE_SECONDS: '2',
        RUST_LOG: 'info',
      },
    });
  } finally {
    fs.closeSync(fd);
  }
  const running: Running = { state: s, databaseUrl, child };
  child.on('error', (e) => {
    running.exit = `could not be started: ${e.message}`;
  });
  child.on('exit', (code, signal) => {
    running.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  s.pid = child.pid;
  return running;
}

// ---------------------------------------------------------------------------
// MailDev

interface RunningMailDev {
  state: MailDevState;
  child: ChildProcess;
  exit?: string;
}

function resolveMailDev(): string {
  try {
    fs.accessSync(MAILDEV_BIN, fs.constants.X_OK);
  } catch {
    throw new Error(
      `MailDev not found at ${MAILDEV_BIN}. It is a devDependency of the root package.json: run \`npm ci\` ` +
        'in the repository root.',
    );
  }
  return MAILDEV_BIN;
}

function startMailDev(m: MailDevState): RunningMailDev {
  // MailDev reloads what it finds in its mail directory: start every run empty.
  fs.rmSync(MAILDEV_DIR, { recursive: true, force: true });
  fs.mkdirSync(MAILDEV_DIR, { recursive: true });
  fs.writeFileSync(
    m.log,
    `# maildev e2e ${new Date().toISOString()}\n# ${m.bin}: SMTP 127.0.0.1:${m.smtpPort}, web ${m.webURL}\n`,
  );
  const fd = fs.openSync(m.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      m.bin,
      [
        '--smtp', String(m.smtpPort),
        '--web', String(m.webPort),
        '--ip', '127.0.0.1',
        // The web/API port listens on every interface unless told otherwise.
        '--web-ip', '127.0.0.1',
        '--mail-directory', MAILDEV_DIR,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', fd, fd], env: process.env },
    );
  } finally {
    fs.closeSync(fd);
  }
  const running: RunningMailDev = { state: m, child };
  child.on('error', (e) => {
    running.exit = `could not be started: ${e.message}`;
  });
  child.on('exit', (code, signal) => {
    running.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  m.pid = child.pid;
  return running;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function probeTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function probeMailDev(m: MailDevState): Promise<boolean> {
  try {
    const res = await fetch(`${m.webURL}/api/email`, { signal: AbortSignal.timeout(2_000) });
    const body = await res.text();
    return res.status === 200 && Array.isArray(JSON.parse(body)) && (await probeTcp(m.smtpPort));
  } catch {
    return false;
  }
}

async function waitUntilMailDevReady(r: RunningMailDev, deadline: number): Promise<void> {
  for (;;) {
    if (r.exit) break;
    if (await probeMailDev(r.state)) return;
    if (Date.now() > deadline) break;
    await sleep(POLL_INTERVAL_MS);
  }
  const why = r.exit
    ? `it ${r.exit} before it was ready`
    : `GET ${r.state.webURL}/api/email did not answer 200 with a JSON list (or SMTP port ${r.state.smtpPort} ` +
      `did not accept connections) within ${READY_TIMEOUT_MS / 1000} s`;
  throw new Error(
    `MailDev failed to start: ${why}.\nFull log: ${r.state.log}\n--- last ${LOG_TAIL_LINES} lines ---\n` +
      `${logTail(r.state.log)}\n---`,
  );
}

// ---------------------------------------------------------------------------
// readiness of the servers

async function probeReady(baseURL: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseURL}/readyz`, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200;
  } catch {
    return false;
  }
}

function findSetupLink(log: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8').replace(ANSI_RE, '');
  } catch {
    return undefined;
  }
  return SETUP_LINK_RE.exec(text)?.[1];
}

async function waitUntilReady(r: Running, deadline: number): Promise<string> {
  const s = r.state;
  let ready = false;
  let link: string | undefined;
  for (;;) {
    if (r.exit) break;
    link ??= findSetupLink(s.log);
    if (!ready) ready = await probeReady(s.baseURL);
    if (ready && link) return link;
    if (Date.now() > deadline) break;
    await sleep(POLL_INTERVAL_MS);
  }
  const why = r.exit
    ? `the server ${r.exit} before it was ready`
    : !ready
      ? `GET ${s.baseURL}/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`
      : `the server is ready but printed no line matching ${SETUP_LINK_RE} within ${READY_TIMEOUT_MS / 1000} s`;
  throw new Error(
    `Tessera server for project "${s.project}" (${s.database}) failed to start: ${why}.\n` +
      `Full log: ${s.log}\n--- last ${LOG_TAIL_LINES} lines ---\n${logTail(s.log)}\n---`,
  );
}

export default async function globalSetup(config: FullConfig): Promise<void> {
  fs.mkdirSync(TMP_DIR, { recursive: true });
  // Never let a previous run's files be mistaken for this run's: stop what it
  // left running, then drop its data directories (its logs are overwritten below).
  await stopAll();
  fs.rmSync(SERVERS_FILE, { force: true });
  for (const entry of fs.readdirSync(TMP_DIR, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('data-')) {
      fs.rmSync(path.join(TMP_DIR, entry.name), { recursive: true, force: true });
    }
  }

  const projects = selectedProjects(config).map((p) => ({ name: p.name, database: databaseOf(p) }));
  const needsPostgres = projects.some((p) => p.database === 'postgres');
  const adminUrl = process.env.TESSERA_TEST_POSTGRES_URL;
  if (needsPostgres && (!adminUrl || adminUrl.trim().length === 0)) {
    throw new Error(
      'TESSERA_TEST_POSTGRES_URL is not set. The postgres-js and postgres-nojs projects need a ' +
        'PostgreSQL server: set it to an admin connection URL that may CREATE DATABASE, e.g. ' +
        'TESSERA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres (the Makefile sets it). ' +
        'Each run creates and later drops its own tessera_e2e_<hex> databases there. ' +
        'To run only the SQLite projects, pass --project sqlite-js --project sqlite-nojs.',
    );
  }
  const bin = resolveBinary();
  const maildevBin = resolveMailDev();
  const [smtpPort, webPort, ...ports] = await freePorts(projects.length + 2);

  const state: RunState = { postgresAdminUrl: needsPostgres ? adminUrl : undefined, servers: [] };
  writeJson(STATE_FILE, state);

  const running: Running[] = [];
  let mail: RunningMailDev | undefined;
  // Safety net: if the runner dies without running teardown, take the servers (and MailDev) with it.
  process.once('exit', () => {
    for (const r of running) if (!r.exit) r.child.kill('SIGKILL');
    if (mail && !mail.exit) mail.child.kill('SIGKILL');
  });

  try {
    const maildev: MailDevState = {
      bin: maildevBin,
      smtpPort,
      webPort,
      webURL: `http://127.0.0.1:${webPort}`,
      log: MAILDEV_LOG,
    };
    state.maildev = maildev;
    const mailRunning = startMailDev(maildev);
    mail = mailRunning;
    writeJson(STATE_FILE, state);
    const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;

    projects.forEach((p, i) => {
      const port = ports[i];
      const s: ServerState = {
        project: p.name,
        database: p.database,
        bin,
        port,
        baseURL: `http://127.0.0.1:${port}`,
        dataDir: fs.mkdtempSync(path.join(TMP_DIR, `data-${p.name}-`)),
        log: path.join(TMP_DIR, `${p.name}.log`),
      };
      let databaseUrl: string;
      if (p.database === 'postgres') {
        s.pgDatabase = `tessera_e2e_${crypto.randomBytes(8).toString('hex')}`;
        state.servers.push(s);
        writeJson(STATE_FILE, state); // before CREATE, so teardown drops it whatever happens
        runPsql(adminUrl as string, `CREATE DATABASE ${s.pgDatabase}`);
        databaseUrl = withDatabase(adminUrl as string, s.pgDatabase);
      } else {
        state.servers.push(s);
        databaseUrl = `sqlite://${path.join(s.dataDir, 'tessera.db')}`;
      }
      running.push(startServer(s, databaseUrl, smtpUrl));
      writeJson(STATE_FILE, state);
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    const [mailReady, ...results] = await Promise.allSettled([
      waitUntilMailDevReady(mailRunning, deadline),
      ...running.map((r) => waitUntilReady(r, deadline)),
    ]);
    const failures = [mailReady, ...results].flatMap((res) =>
      res.status === 'rejected' ? [(res.reason as Error).message] : [],
    );
    if (failures.length > 0) throw new Error(failures.join('\n\n'));

    const servers: Record<string, ServerEntry> = {};
    running.forEach((r, i) => {
      servers[r.state.project] = {
        baseURL: r.state.baseURL,
        setupLink: (results[i] as PromiseFulfilledResult<string>).value,
        mailURL: maildev.webURL,
        dataDir: r.state.dataDir,
        databaseUrl: r.databaseUrl,
        smtpUrl,
      };
    });
    writeJson(SERVERS_FILE, servers);
    mailRunning.child.unref();
    console.log(
      `[e2e] MailDev: SMTP ${smtpUrl}, web ${maildev.webURL} (pid ${maildev.pid}, ` +
        `log ${path.relative(REPO_ROOT, MAILDEV_LOG)})`,
    );
    for (const r of running) {
      r.child.unref();
      console.log(`[e2e] ${r.state.project}: ${r.state.baseURL} (pid ${r.state.pid}, log ${path.relative(REPO_ROOT, r.state.log)})`);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
}
