/** The write-up's claims, which every report measures against (the write-up under test). */

/** ~30 % more throughput. */
export const CLAIMED_GAIN = 0.3;
/** 80–90 ms less latency per request: the lower end. */
export const CLAIMED_LATENCY_GAIN_MS = 80;
