/**
 * Finding the server binaries for the local throwaway instances.
 *
 * Every lookup takes an explicit list of directories, so callers (and tests) can point it
 * somewhere else; the defaults are PATH plus the places distributions install servers that
 * are not on PATH (Debian and Ubuntu keep initdb and pg_ctl in /usr/lib/postgresql/<v>/bin).
 */
import fs from 'node:fs';
import path from 'node:path';

const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/** The directories in the PATH of `env`. */
export function pathDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
}

/** PATH, then /usr/lib/postgresql/<version>/bin, newest version first. */
export function defaultPgSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(DEBIAN_PG_ROOT).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    // No Debian-style installation: PATH is all there is.
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return unique([...pathDirs(env), ...versions.map((v) => path.join(DEBIAN_PG_ROOT, v, 'bin'))]);
}

/** PATH, then /usr/bin and /usr/local/bin (which a minimal PATH may lack). */
export function defaultRedisSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  return unique([...pathDirs(env), '/usr/bin', '/usr/local/bin']);
}

/** The first executable file called `name` in `dirs`. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The binaries of one PostgreSQL installation. */
export interface PgBinaries {
  /** The real directory of the binaries (symlinks resolved), so all come from one version. */
  binDir: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
  /** pg_config of the same installation, if installed (it is in a -dev package on some systems). */
  pgConfig: string | undefined;
}

/**
 * The first directory in `dirs` with initdb and pg_ctl, followed to where initdb really lives
 * (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb), which must also hold
 * pg_ctl and postgres: mixing versions would fail in confusing ways.
 */
export function findPgBinaries(dirs: readonly string[]): PgBinaries | undefined {
  for (const dir of dirs) {
    const initdb = path.join(dir, 'initdb');
    if (!isExecutableFile(initdb) || !isExecutableFile(path.join(dir, 'pg_ctl'))) continue;
    const binDir = path.dirname(fs.realpathSync(initdb));
    const names = ['initdb', 'pg_ctl', 'postgres'].map((name) => path.join(binDir, name));
    if (!names.every(isExecutableFile)) continue;
    const pgConfig = path.join(binDir, 'pg_config');
    return {
      binDir,
      initdb: path.join(binDir, 'initdb'),
      pgCtl: path.join(binDir, 'pg_ctl'),
      postgres: path.join(binDir, 'postgres'),
      pgConfig: isExecutableFile(pgConfig) ? pgConfig : undefined,
    };
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** wrk, the second load generator (`--engine wrk`): on PATH, /usr/bin or /usr/local/bin. */
export function findWrk(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('wrk', defaultRedisSearchPath(env));
}

/**
 * Artillery's executable: the path given (--artillery, else $AUTHBENCH_ARTILLERY), if it is one,
 * else `artillery` on PATH.
 */
export function findArtillery(
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const path = given ?? env.AUTHBENCH_ARTILLERY;
  if (path !== undefined && path !== '') return isExecutableFile(path) ? path : undefined;
  return findExecutable('artillery', pathDirs(env));
}
