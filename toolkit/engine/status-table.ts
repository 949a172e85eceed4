// A readable table over StackStatus for people; `--json` prints the StackStatus itself.
import type { StackStatus } from './types.ts';

const COLUMNS = ['SERVICE', 'REPLICA', 'STATE', 'HEALTH', 'ADDRESS', 'UPTIME', 'RESTARTS'] as const;

export function renderStatusTable(status: StackStatus): string {
  const head = `project ${status.project}  ${status.url ? `url ${status.url}` : 'load balancer not running'}`;
  if (status.services.length === 0) return `${head}\nno containers\n`;
  const readyByNumber = new Map(status.replicas.map((r) => [r.number, r.ready]));
  const rows = status.services.map((s) => [
    s.service,
    String(s.number),
    s.lastExit !== null && s.state !== 'running' ? `${s.state} (${s.lastExit})` : s.state,
    healthCell(s.service, s.health, readyByNumber.get(s.number)),
    s.address || '-',
    formatUptime(s.uptimeSec),
    String(s.restarts),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const ready = status.replicas.filter((r) => r.ready).length;
  const foot = `${ready}/${status.replicas.length} inference replicas ready`;
  return `${head}\n${[line(COLUMNS), ...rows.map(line), ...notes(status), ...byNode(status)].join('\n')}\n${foot}\n`;
}

/** Swarm: which tasks run on which node (the one thing a single-engine table cannot show). */
function byNode(status: StackStatus): string[] {
  if (!status.tasks?.length) return [];
  const nodes = [...new Set(status.tasks.map((t) => t.node))].sort();
  return [
    'tasks per node:',
    ...nodes.map((n) => {
      const tasks = status
        .tasks!.filter((t) => t.node === n)
        .sort((a, b) => a.service.localeCompare(b.service) || a.slot - b.slot)
        .map((t) => `${t.service}.${t.slot} ${t.state}${t.desired !== 'running' ? `→${t.desired}` : ''}`);
      return `  ${n || '(unassigned)'}: ${tasks.join(', ')}`;
    }),
  ];
}

/** What the columns cannot hold: why a replica last exited, and replicas the load balancer leaves out. */
function notes(status: StackStatus): string[] {
  const out: string[] = [];
  for (const r of status.replicas) {
    const why: string[] = [];
    if (r.state === 'running' && r.inRotation === false)
      why.push(r.ready ? 'not in rotation yet' : 'not ready: out of rotation');
    if (r.lastExitReason) why.push(`last exit: ${r.lastExitReason}${r.restarts ? ` (restarted ${r.restarts}×)` : ''}`);
    if (why.length) out.push(`  inference ${r.number}: ${why.join('; ')}`);
  }
  return out;
}

/** A replica answering /ready before its first healthcheck ran is ready; say so rather than "starting". */
function healthCell(service: string, health: string, ready: boolean | undefined): string {
  if (service !== 'inference' || health === 'healthy') return health;
  return ready ? 'ready' : health === 'none' ? 'not ready' : health;
}

export function formatUptime(sec: number | null): string {
  if (sec === null) return '-';
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, '0')}s`;
  const h = Math.floor(sec / 3600);
  if (h < 48) return `${h}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
