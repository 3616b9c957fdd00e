/** Where a CLI decision came from, for the audit log: the operating-system user and host. */
import { hostname, userInfo } from 'node:os';

export function cliSource(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid ${process.getuid?.() ?? '?'}`; // a uid without a passwd entry (containers)
  }
  return `cli (os user ${user} on ${hostname()})`;
}
