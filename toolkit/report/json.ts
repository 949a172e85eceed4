// report.json: the report model itself, for machines (`--json`, dashboards, the gate).
import type { ReportModel } from './model.ts';

export function renderJson(m: ReportModel): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
