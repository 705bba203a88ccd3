/**
 * The server's own counters, exposed at /metrics in the Prometheus text format. Plain objects
 * keyed by name keep the request path's cost to one property increment per event.
 */
export class Metrics {
  readonly dbQueries: Record<string, number> = Object.create(null);
  readonly redisCommands: Record<string, number> = Object.create(null);
  readonly httpResponses: Record<string, number> = Object.create(null);
  /** Statements of the revocation applier's own connection: background, not per request. */
  readonly backgroundQueries: Record<string, number> = Object.create(null);
  /** Lease lapses, refills, intents seen, key spaces started, entries applied … */
  readonly revocationEvents: Record<string, number> = Object.create(null);
  /**
   * Connection-seconds checked out of the pg pool. Over an interval, its increase ÷ the
   * interval is the pool's mean busy connections (utilization law), what the bench's cost model
   * needs to tell a pool-bound server from a CPU-bound one.
   */
  poolHeldSeconds = 0;

  countQuery(name: string): void {
    this.dbQueries[name] = (this.dbQueries[name] ?? 0) + 1;
  }

  countRedis(command: string): void {
    this.redisCommands[command] = (this.redisCommands[command] ?? 0) + 1;
  }

  countBackground(name: string): void {
    this.backgroundQueries[name] = (this.backgroundQueries[name] ?? 0) + 1;
  }

  countRevocationEvent(event: string, n = 1): void {
    this.revocationEvents[event] = (this.revocationEvents[event] ?? 0) + n;
  }

  addPoolHeld(seconds: number): void {
    this.poolHeldSeconds += seconds;
  }

  countResponse(status: number): void {
    const key = String(status);
    this.httpResponses[key] = (this.httpResponses[key] ?? 0) + 1;
  }

  render(labels: { strategy: string }): string {
    const lines: string[] = [];
    const family = (name: string, help: string, label: string, values: Record<string, number>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`${name}{strategy="${labels.strategy}",${label}="${key}"} ${value}`);
      }
    };
    family(
      'authbench_db_queries_total',
      'Database queries sent by this server, by statement name.',
      'query',
      this.dbQueries,
    );
    family(
      'authbench_redis_commands_total',
      'Redis commands sent by this server.',
      'command',
      this.redisCommands,
    );
    family(
      'authbench_http_responses_total',
      'HTTP responses sent, by status code.',
      'status',
      this.httpResponses,
    );
    family(
      'authbench_background_queries_total',
      'Revocation bookkeeping statements (not per request).',
      'query',
      this.backgroundQueries,
    );
    family(
      'authbench_revocation_events_total',
      'Revocation events: lease lapses, refills, intents, key spaces, entries applied.',
      'event',
      this.revocationEvents,
    );
    lines.push(
      '# HELP authbench_db_pool_held_seconds_total Time pooled connections spent checked out, summed over connections.',
      '# TYPE authbench_db_pool_held_seconds_total counter',
      `authbench_db_pool_held_seconds_total{strategy="${labels.strategy}"} ${this.poolHeldSeconds}`,
    );
    // Read when scraped, not counted per request: microsecond resolution where /proc has ticks.
    const cpu = process.cpuUsage();
    // The event loop's active time excludes the time spent asleep in epoll, and with it the
    // kernel's cost of waking an idle process, which a loaded server no longer pays.
    const loop = performance.eventLoopUtilization();
    lines.push(
      '# HELP authbench_event_loop_active_seconds_total Time the event loop spent outside its wait for events.',
      '# TYPE authbench_event_loop_active_seconds_total counter',
      `authbench_event_loop_active_seconds_total{strategy="${labels.strategy}"} ${loop.active / 1000}`,
    );
    lines.push(
      '# HELP authbench_process_cpu_seconds_total User and system CPU time of this process.',
      '# TYPE authbench_process_cpu_seconds_total counter',
      `authbench_process_cpu_seconds_total{strategy="${labels.strategy}"} ${(cpu.user + cpu.system) / 1e6}`,
    );
    return `${lines.join('\n')}\n`;
  }
}

/** Parses the counters back out of a /metrics body (the bench and tests read them this way). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Sum of one family's samples, optionally excluding some label values (e.g. health checks). */
export function sumFamily(
  metrics: Map<string, number>,
  family: string,
  exclude: readonly string[] = [],
): number {
  let total = 0;
  for (const [key, value] of metrics) {
    if (!key.startsWith(`${family}{`)) continue;
    if (exclude.some((x) => key.includes(`="${x}"`))) continue;
    total += value;
  }
  return total;
}
