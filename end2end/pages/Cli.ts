/**
 * The operator CLI (`tessera user add …`), run against a project's server:
 * the same binary as the server (global-setup.ts `resolveBinary`), with the
 * server's own TESSERA_DATA_DIR, TESSERA_DATABASE_URL and TESSERA_SMTP_URL
 * from servers.json (so what an operator's command mails reaches MailDev).
 */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT, resolveBinary } from '../global-setup';
import type { ServerEntry } from './fixtures';

export interface NewUser {
  organisationName: string;
  email: string;
  role: 'owner' | 'admin' | 'helpdesk' | 'member';
  /** Without it the CLI uses the part of the email before the @. */
  displayName?: string;
  password: string;
}

/** Runs `tessera <args>` for `server`, with `input` on stdin; returns stdout, throws with stderr on failure. */
export function runCli(server: ServerEntry, args: string[], input = ''): string {
  const bin = resolveBinary();
  try {
    return execFileSync(bin, args, {
      cwd: REPO_ROOT,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
      env: {
        ...process.env,
        TESSERA_DATA_DIR: server.dataDir,
        TESSERA_DATABASE_URL: server.databaseUrl,
        TESSERA_SMTP_URL: server.smtpUrl,
        // Links in what the command mails point at the server, as an operator's would.
        TESSERA_BASE_URL: server.baseURL,
        RUST_LOG: 'warn',
      },
    });
  } catch (e) {
    const err = e as Error & { status?: number | null; stdout?: string; stderr?: string };
    throw new Error(
      `\`tessera ${args.join(' ')}\` failed (exit status ${err.status ?? 'none'}): ${err.message}\n` +
        `--- stdout ---\n${err.stdout ?? ''}\n--- stderr ---\n${err.stderr ?? ''}`,
    );
  }
}

/** `tessera user add --password-stdin`: the password goes in as the first line of stdin. Returns stdout. */
export function addUser(server: ServerEntry, user: NewUser): string {
  const args = ['user', 'add', '--org', user.organisationName, '--email', user.email, '--role', user.role];
  if (user.displayName !== undefined) args.push('--name', user.displayName);
  args.push('--password-stdin');
  return runCli(server, args, `${user.password}\n`);
}

export interface NewOrganisation {
  name: string;
  ownerEmail: string;
  ownerName: string;
  ownerPassword: string;
}

/** `tessera org create --owner-password-stdin`. Returns stdout. */
export function createOrganisation(server: ServerEntry, org: NewOrganisation): string {
  const args = ['org', 'create', '--name', org.name, '--owner-email', org.ownerEmail, '--owner-name', org.ownerName];
  args.push('--owner-password-stdin');
  return runCli(server, args, `${org.ownerPassword}\n`);
}

/** `tessera org set-policy --org NAME POLICY`. Returns stdout. */
export function setPolicy(server: ServerEntry, organisationName: string, policy: 'hidden' | 'visible' | 'required'): string {
  return runCli(server, ['org', 'set-policy', '--org', organisationName, policy]);
}

/** `tessera org email-codes --org NAME on|off [--roles A,B]`. Returns stdout. */
export function setEmailCodes(server: ServerEntry, organisationName: string, state: 'on' | 'off', roles?: string[]): string {
  const args = ['org', 'email-codes', '--org', organisationName, state];
  if (roles !== undefined) args.push('--roles', roles.join(','));
  return runCli(server, args);
}

/** `tessera org set-policy --org NAME required --grace-days N`. Returns stdout. */
export function requireWithGrace(server: ServerEntry, organisationName: string, graceDays: number): string {
  return runCli(server, ['org', 'set-policy', '--org', organisationName, 'required', '--grace-days', String(graceDays)]);
}

/** `tessera user reset-mfa --org NAME --email EMAIL --reason TEXT`: an operator resets someone's MFA. */
export function resetMfa(server: ServerEntry, organisationName: string, email: string, reason: string): string {
  return runCli(server, ['user', 'reset-mfa', '--org', organisationName, '--email', email, '--reason', reason]);
}

/** `tessera digest send --org NAME`: the weekly security digest, now. Returns stdout. */
export function sendDigest(server: ServerEntry, organisationName: string): string {
  return runCli(server, ['digest', 'send', '--org', organisationName]);
}
