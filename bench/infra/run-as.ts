/**
 * Choosing an unprivileged user for the throwaway servers when we run as root.
 *
 * Postgres refuses to start as root, and a benchmark's scratch servers have no business
 * running with more privilege than they need, so as root they run as a service user
 * (`postgres`, `redis`) or `nobody`, and their temp dirs are handed over to that user.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunAs } from './processes.js';

/**
 * The user to run a throwaway server as: `undefined` when we are not root (run as ourselves),
 * otherwise the first of `candidates` found in /etc/passwd.
 * @throws when we are root and none of the candidates exists.
 */
export function serverUser(candidates: readonly string[], passwdFile = '/etc/passwd'): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let passwd = '';
  try {
    passwd = fs.readFileSync(passwdFile, 'utf8');
  } catch {
    // Handled by the error below: no user can be found.
  }
  for (const name of candidates) {
    const user = lookupUser(passwd, name);
    if (user) return user;
  }
  throw new Error(
    `running as root, but none of the users ${candidates.map((c) => `"${c}"`).join(', ')} exists in ` +
      `${passwdFile}; throwaway servers are not run as root (postgres refuses to), so create one of ` +
      'these users or run as a non-root user',
  );
}

/** Finds `name` in the text of an /etc/passwd file. */
export function lookupUser(passwd: string, name: string): RunAs | undefined {
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user !== name || uid === undefined || gid === undefined) continue;
    const uidNum = Number(uid);
    const gidNum = Number(gid);
    if (Number.isInteger(uidNum) && Number.isInteger(gidNum)) return { name, uid: uidNum, gid: gidNum };
  }
  return undefined;
}

/** Gives `dir` and everything below it to `user` (no-op without a user). */
export async function chownTree(dir: string, user: RunAs | undefined): Promise<void> {
  if (!user) return;
  await fs.promises.lchown(dir, user.uid, user.gid);
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await fs.promises.lchown(child, user.uid, user.gid);
  }
}
