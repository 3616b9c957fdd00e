/**
 * Approver sessions: an approver signs in with the token `needloop approver add` gave
 * them and gets a session cookie; every form carries the session's own CSRF token, and a
 * decision form's token is spent once it is used (a replayed form is refused).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  approver: string;
  csrf: string;
  expires: number;
}

const TTL_MS = 8 * 3600 * 1000;
const random = () => randomBytes(24).toString('base64url');

export class Sessions {
  private readonly byId = new Map<string, Session>();

  create(approver: string): { id: string; session: Session } {
    const id = random();
    const session = { approver, csrf: random(), expires: Date.now() + TTL_MS };
    this.byId.set(id, session);
    return { id, session };
  }

  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const s = this.byId.get(id);
    if (s === undefined || s.expires < Date.now()) {
      this.byId.delete(id ?? '');
      return null;
    }
    return s;
  }

  /** Checks a form's CSRF token against the session's and, when it matches, renews it. */
  spendCsrf(session: Session, token: string | undefined): boolean {
    if (token === undefined) return false;
    const a = Buffer.from(session.csrf);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    session.csrf = random();
    return true;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.byId.delete(id);
  }
}
