/**
 * Is a Docker engine reachable? Answered in well under 2 s, because this runs on every start
 * of the benchmark and most machines without Docker have no socket at all.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

/** How long the engine gets to answer GET /_ping. */
const PING_TIMEOUT_MS = 1_500;

/** Options for {@link dockerAvailable}; the defaults are right outside tests. */
export interface DockerProbeOptions {
  /** Sockets to try when DOCKER_HOST is unset; default: the usual Linux, rootless and Desktop ones. */
  sockets?: readonly string[];
  timeoutMs?: number;
}

/** Where a Docker engine listens, as derived from the environment. */
type Endpoint =
  | { kind: 'socket'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: TlsFiles | undefined };

interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Whether a Docker engine answers GET /_ping with 200 "OK".
 *
 * With DOCKER_HOST set (unix://, npipe://, tcp://, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
 * for TLS) only that endpoint is asked. Otherwise the default sockets are asked in parallel,
 * and when none of them exists the answer is false without any I/O wait.
 */
export async function dockerAvailable(
  env: NodeJS.ProcessEnv = process.env,
  opts: DockerProbeOptions = {},
): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? PING_TIMEOUT_MS;
  const endpoints = dockerEndpoints(env, opts.sockets);
  if (endpoints.length === 0) return false;
  const answers = await Promise.all(endpoints.map((endpoint) => ping(endpoint, timeoutMs)));
  return answers.some(Boolean);
}

function dockerEndpoints(env: NodeJS.ProcessEnv, sockets: readonly string[] | undefined): Endpoint[] {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) {
    const endpoint = parseDockerHost(dockerHost, env);
    return endpoint ? [endpoint] : [];
  }
  const home = env.HOME ?? os.homedir();
  const candidates = sockets ?? [
    '/var/run/docker.sock',
    ...(env.XDG_RUNTIME_DIR ? [path.join(env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
  ];
  return candidates.filter((p) => fs.existsSync(p)).map((socketPath) => ({ kind: 'socket', socketPath }));
}

function parseDockerHost(value: string, env: NodeJS.ProcessEnv): Endpoint | undefined {
  if (value.startsWith('unix://')) return { kind: 'socket', socketPath: value.slice('unix://'.length) };
  if (value.startsWith('npipe://')) {
    // npipe:////./pipe/docker_engine -> \\.\pipe\docker_engine
    return { kind: 'socket', socketPath: value.slice('npipe://'.length).replace(/\//g, '\\') };
  }
  if (value.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
    const tls = Boolean(env.DOCKER_TLS_VERIFY) && env.DOCKER_TLS_VERIFY !== '0';
    return {
      kind: 'tcp',
      host: url.hostname,
      port: url.port ? Number(url.port) : tls ? 2376 : 2375,
      tls: tls ? readTlsFiles(env) : undefined,
    };
  }
  // ssh:// and other transports cannot be pinged cheaply; testcontainers does not use them either.
  return undefined;
}

function readTlsFiles(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const dir = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? os.homedir(), '.docker');
  try {
    return {
      ca: fs.readFileSync(path.join(dir, 'ca.pem')),
      cert: fs.readFileSync(path.join(dir, 'cert.pem')),
      key: fs.readFileSync(path.join(dir, 'key.pem')),
    };
  } catch {
    return undefined;
  }
}

function ping(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(ok);
    };
    // One deadline for the whole exchange: a socket that accepts and never answers counts as down.
    const timer = setTimeout(() => finish(false), timeoutMs);
    const options: http.RequestOptions = { method: 'GET', path: '/_ping', agent: false };
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 64) finish(false); // not a Docker ping reply
      });
      res.on('end', () => finish(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => finish(false));
    };
    const request =
      endpoint.kind === 'socket'
        ? http.request({ ...options, socketPath: endpoint.socketPath }, onResponse)
        : endpoint.tls
          ? https.request(
              { ...options, host: endpoint.host, port: endpoint.port, ...endpoint.tls },
              onResponse,
            )
          : http.request({ ...options, host: endpoint.host, port: endpoint.port }, onResponse);
    request.on('error', () => finish(false));
    request.end();
  });
}
