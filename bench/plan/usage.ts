/**
 * Command-line values are checked here, with one message shape for every flag, so the messages
 * cannot drift apart: `--connections must be an integer ≥ 1 (got "0")`.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function usage(flag: string, rule: string, got: unknown): UsageError {
  return new UsageError(`${flag} must be ${rule} (got ${JSON.stringify(got)})`);
}

export function intFlag(flag: string, raw: string, min: number, max: number): number {
  const value = /^-?[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usage(
      flag,
      max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
      raw,
    );
  }
  return value;
}

export function choiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) throw usage(flag, `one of ${choices.join(', ')}`, raw);
  return raw as T;
}

export function hostFlag(flag: string, raw: string): string {
  if (raw === 'localhost' || /^[0-9.]+$/.test(raw) || /^[0-9a-fA-F:]+$/.test(raw)) return raw;
  throw usage(flag, 'an IP address or localhost', raw);
}

export function numberFlag(flag: string, raw: string, min: number, max: number): number {
  const value = /^[0-9]+(\.[0-9]+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(value) || value < min || value > max)
    throw usage(flag, `a number from ${min} to ${max}`, raw);
  return value;
}

/** A comma-separated list of choices, each once, at least one. */
export function listFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T[] {
  const parts = raw.split(',').map((p) => p.trim());
  const rule = `a comma-separated list of ${choices.join(', ')} (each at most once)`;
  if (parts.some((p) => p === '') || new Set(parts).size !== parts.length) throw usage(flag, rule, raw);
  for (const p of parts) if (!(choices as readonly string[]).includes(p)) throw usage(flag, rule, raw);
  return parts as T[];
}
