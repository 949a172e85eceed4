// The report side's public surface: build a model, render it, write it, read recorded runs, compare two.
export { type Comparison, compareModels, renderComparison } from './compare.ts';
export { renderHtml } from './html.ts';
export { renderJson } from './json.ts';
export { renderJunit } from './junit.ts';
export { renderMarkdown } from './markdown.ts';
export { modelFromLoadtest, modelFromSweep, type ReportCheck, type ReportLevel, type ReportModel } from './model.ts';
export { type LoadedRun, listRuns, loadRun } from './runs.ts';
export { renderTerminal } from './terminal.ts';
export { type ReportFiles, writeReports } from './write.ts';
