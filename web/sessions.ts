/**
 * Sessions of `needloop serve`: an approver or viewer signs in with the token `needloop
 * approver|viewer add` gave them and gets a session cookie. A session remembers the hash
 * of the token it was opened with, and the server checks it against the holder's current
 * token on every request, so re-issuing or removing a token ends its sessions at once.
 * Every form carries the session's own CSRF token, spent on use. The store is bounded:
 * expired sessions go first, then the oldest.
 *
 * Failed sign-ins are throttled per address: after MAX_FAILURES within the window the
 * address must wait, and only the failure that starts the wait is audited.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessRole } from '../db/queries/pipeline-runs.js';

export interface Session {
  name: string;
  role: AccessRole;
  /**
   * The token signed in with, kept in this process's memory only: every request checks
   * that it still holds, and a decision made in the session is proven with it to the
   * database (which checks it against its hash).
   */
  token: string;
  csrf: string;
  expires: number;
  /** A short, non-secret tag of the session id, for the audit log. */
  tag: string;
}

const TTL_MS = 8 * 3600 * 1000;
const random = () => randomBytes(24).toString('base64url');

export function sameSecret(expected: string, given: string | undefined | null): boolean {
  if (given === undefined || given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly max = 1000, private readonly now = () => Date.now()) {}

  get size(): number {
    return this.byId.size;
  }

  create(holder: { name: string; role: AccessRole }, token: string): { id: string; session: Session } {
    if (this.byId.size >= this.max) {
      for (const [id, s] of this.byId) if (s.expires < this.now()) this.byId.delete(id);
      // Still full: the oldest sessions go (a Map iterates in insertion order).
      for (const id of this.byId.keys()) {
        if (this.byId.size < this.max) break;
        this.byId.delete(id);
      }
    }
    const id = random();
    const session: Session = {
      name: holder.name, role: holder.role, token, csrf: random(), expires: this.now() + TTL_MS,
      tag: createHash('sha256').update(id).digest('hex').slice(0, 8),
    };
    this.byId.set(id, session);
    return { id, session };
  }

  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const s = this.byId.get(id);
    if (s === undefined || s.expires < this.now()) {
      this.byId.delete(id);
      return null;
    }
    return s;
  }

  /** Checks a form's CSRF token against the session's and, when it matches, renews it. */
  spendCsrf(session: Session, token: string | undefined | null): boolean {
    if (!sameSecret(session.csrf, token)) return false;
    session.csrf = random();
    return true;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.byId.delete(id);
  }
}

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number; blockedUntil: number }>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60 * 1000,
    private readonly maxAddresses = 10_000,
    private readonly now = () => Date.now(),
  ) {}

  /** Seconds ADDRESS must still wait before it may try again; 0 when it may. */
  waitSeconds(address: string): number {
    const f = this.failures.get(address);
    return f === undefined ? 0 : Math.max(0, Math.ceil((f.blockedUntil - this.now()) / 1000));
  }

  /** Counts a failed sign-in; true when this failure starts a wait. */
  fail(address: string): boolean {
    const now = this.now();
    let f = this.failures.get(address);
    if (f === undefined || now - f.since > this.windowMs) {
      this.failures.delete(address);
      if (this.failures.size >= this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
      f = { count: 0, since: now, blockedUntil: 0 };
      this.failures.set(address, f);
    }
    f.count += 1;
    if (f.count < this.maxFailures) return false;
    f.blockedUntil = now + this.windowMs;
    return f.count === this.maxFailures;
  }

  /**
   * A success forgives nothing: failures expire with their window only. Were they cleared,
   * anyone holding one token (a viewer's) could sign in with it every four guesses and guess
   * approvers' tokens without end.
   */
  succeed(_address: string): void {}
}
