/**
 * A stand-in for the user's authenticator app: TOTP codes computed with the
 * `otpauth` package (SHA-1, 6 digits, 30-second steps) from the setup key the
 * enrolment page shows, independently of Tessera's own code.
 */
import * as OTPAuth from 'otpauth';

export const STEP_MS = 30_000;

/** The 30-second TOTP step at `at` (ms since the epoch). */
export function stepAt(at: number = Date.now()): number {
  return Math.floor(at / STEP_MS);
}

export interface StepCode {
  code: string;
  step: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Authenticator {
  private readonly secret: OTPAuth.Secret;

  /** `setupKey` as shown (base32, groups separated by spaces). */
  constructor(readonly setupKey: string) {
    this.secret = OTPAuth.Secret.fromBase32(setupKey.replace(/\s+/g, ''));
  }

  codeForStep(step: number): string {
    return OTPAuth.TOTP.generate({
      secret: this.secret,
      algorithm: 'SHA1',
      digits: 6,
      period: STEP_MS / 1000,
      timestamp: step * STEP_MS,
    });
  }

  /** The code the app shows now, with its step. */
  current(): StepCode {
    const step = stepAt();
    return { code: this.codeForStep(step), step };
  }

  /**
   * A 6-digit code that is wrong now: it differs from the codes of the
   * steps around now (servers accept a step of clock skew either way).
   */
  wrongCode(): string {
    const step = stepAt();
    const near = new Set([-2, -1, 0, 1, 2].map((d) => this.codeForStep(step + d)));
    let n = (Number.parseInt(this.codeForStep(step), 10) + 500_000) % 1_000_000;
    while (near.has(String(n).padStart(6, '0'))) n = (n + 1) % 1_000_000;
    return String(n).padStart(6, '0');
  }

  /**
   * The code of the first step after `usedStep`: a code is accepted once per
   * step, so after one was used this waits for the next step (at most 30 s),
   * and returns at once when that step has already begun.
   */
  async codeAfter(usedStep: number): Promise<StepCode> {
    const wait = (usedStep + 1) * STEP_MS - Date.now();
    if (wait > 0) await sleep(wait + 250);
    return this.current();
  }
}
