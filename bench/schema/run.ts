/**
 * The manifest of one `authbench run`: the folder results/<timestamp>/ it wrote, what each file
 * is, and whether the run finished. Types only. File names are relative to the folder, so a
 * folder can be moved or archived whole.
 */

export const RUN_MANIFEST_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

export interface RunManifest {
  schemaVersion: typeof RUN_MANIFEST_VERSION;
  kind: 'run';
  createdAt: string;
  command: string;
  gitCommit: string | null;
  /**
   * False while the run is under way, and for ever when it died: the records listed are
   * complete, the scenarios not listed were never measured.
   */
  complete: boolean;
  /** Every scenario valid and every freshness verdict as declared; null until complete. */
  valid: boolean | null;
  wallSeconds: number;
  /** In the order they ran. */
  scenarios: Array<{ scenario: string; file: string; valid: boolean }>;
  freshness: { file: string; html: string; valid: boolean } | null;
  reports: {
    html: string;
    markdown: string;
    pngs: string[];
    /** Charts that could not be rendered as PNG, and why (the HTML draws them regardless). */
    pngFailures: Array<{ id: string; reason: string }>;
  };
  /** Trend-tracking exports (authbench ci), per scenario. */
  exports: string[];
}
