/**
 * Throwaway Postgres and Redis containers via testcontainers, for machines with a Docker engine.
 *
 * testcontainers is imported dynamically: loading it costs time and memory that a machine
 * without Docker should not pay. Its reaper container removes what a killed process leaves.
 */
import type { StartedTestContainer } from 'testcontainers';
import { registerCleanup } from './cleanup.js';

export const POSTGRES_IMAGE = 'postgres:16-alpine';
export const REDIS_IMAGE = 'redis:7-alpine';

/** A started container and how to reach it. */
export interface ContainerService {
  url: string;
  host: string;
  port: number;
  image: string;
  /** Stops and removes the container; idempotent. */
  destroy(): Promise<void>;
}

/**
 * Starts postgres:16-alpine with trust auth, a database `authbench` and the same settings as
 * the local throwaway cluster (pg_stat_statements preloaded, no fsync), so results compare.
 */
export async function startPostgresContainer(
  log: (line: string) => void = () => {},
): Promise<ContainerService> {
  const { GenericContainer, Wait } = await import('testcontainers');
  log(`postgres: starting container ${POSTGRES_IMAGE}`);
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'authbench' })
    .withCommand([
      'postgres',
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'max_connections=200',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ])
    .withExposedPorts(5432)
    // The entrypoint runs a temporary server for initialisation first; the second
    // "ready" line is the real one.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .withStartupTimeout(120_000)
    .start();
  const service = wrap(
    container,
    POSTGRES_IMAGE,
    5432,
    (host, port) => `postgres://postgres@${host}:${port}/authbench`,
  );
  log(`postgres: container ${container.getId().slice(0, 12)} on ${service.host}:${service.port}`);
  return service;
}

/** Starts redis:7-alpine without persistence. */
export async function startRedisContainer(log: (line: string) => void = () => {}): Promise<ContainerService> {
  const { GenericContainer, Wait } = await import('testcontainers');
  log(`redis: starting container ${REDIS_IMAGE}`);
  const container = await new GenericContainer(REDIS_IMAGE)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(60_000)
    .start();
  const service = wrap(container, REDIS_IMAGE, 6379, (host, port) => `redis://${host}:${port}`);
  log(`redis: container ${container.getId().slice(0, 12)} on ${service.host}:${service.port}`);
  return service;
}

function wrap(
  container: StartedTestContainer,
  image: string,
  containerPort: number,
  makeUrl: (host: string, port: number) => string,
): ContainerService {
  // "localhost" may resolve to ::1 first, where the mapped port is not always published.
  const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
  const port = container.getMappedPort(containerPort);
  let stopping: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    stopping ??= container
      .stop({ remove: true, removeVolumes: true })
      .then(() => unregister())
      .catch((err: unknown) => {
        stopping = undefined;
        throw err;
      });
    return stopping;
  };
  // Nothing can be done synchronously at exit; the testcontainers reaper removes the container.
  const unregister = registerCleanup(destroy, () => {});
  return { url: makeUrl(host, port), host, port, image, destroy };
}
