/**
 * Renders a report as one HTML page and writes it atomically (through a
 * temporary renamed over the target: a crash or an error leaves the old
 * file, or none, never half a page). Commands import this module only when
 * --report is given: the plotting stack (Observable Plot, d3, linkedom) then
 * costs the other runs nothing at startup.
 */
import { type Report, htmlReport } from '@nerve/plot';
import { writeTextAtomic } from '../write-file.js';

/** Renders `report` as one self-contained HTML page and writes it atomically to `path`. */
export function writeReport(flag: string, path: string, report: Report, footer?: string): void {
  writeTextAtomic(flag, path, htmlReport(report, footer === undefined ? {} : { footer }));
}
