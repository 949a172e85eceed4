import { describe, expect, it } from 'vitest';
import { formatUptime, renderStatusTable } from '../../toolkit/engine/status-table.ts';
import type { StackStatus } from '../../toolkit/engine/types.ts';

const status: StackStatus = {
  project: 'demo',
  url: 'http://127.0.0.1:8000',
  replicas: [
    {
      number: 1,
      container: 'demo-inference-1',
      state: 'running',
      ready: true,
      address: '172.20.0.5:8000',
      restarts: 0,
      uptimeSec: 12,
      lastExit: null,
    },
    {
      number: 2,
      container: 'demo-inference-2',
      state: 'exited',
      ready: false,
      address: '',
      restarts: 3,
      uptimeSec: null,
      lastExit: 137,
    },
  ],
  services: [
    {
      service: 'storage',
      number: 1,
      container: 'demo-storage-1',
      state: 'running',
      health: 'healthy',
      address: '172.20.0.2:9000',
      restarts: 0,
      uptimeSec: 3725,
      lastExit: null,
    },
    {
      service: 'inference',
      number: 1,
      container: 'demo-inference-1',
      state: 'running',
      health: 'healthy',
      address: '172.20.0.5:8000',
      restarts: 0,
      uptimeSec: 12,
      lastExit: null,
    },
    {
      service: 'inference',
      number: 2,
      container: 'demo-inference-2',
      state: 'exited',
      health: 'unhealthy',
      address: '',
      restarts: 3,
      uptimeSec: null,
      lastExit: 137,
    },
  ],
};

describe('status table', () => {
  it('has the columns and one row per container, aligned', () => {
    const lines = renderStatusTable(status).trimEnd().split('\n');
    expect(lines[0]).toBe('project demo  url http://127.0.0.1:8000');
    expect(lines[1].split(/\s+/)).toEqual(['SERVICE', 'REPLICA', 'STATE', 'HEALTH', 'ADDRESS', 'UPTIME', 'RESTARTS']);
    expect(lines[2].split(/\s+/)).toEqual(['storage', '1', 'running', 'healthy', '172.20.0.2:9000', '1h02m', '0']);
    expect(lines[4].split(/\s{2,}/)).toEqual(['inference', '2', 'exited (137)', 'unhealthy', '-', '-', '3']);
    // Columns line up: ADDRESS starts at the same offset on every row.
    const col = lines[1].indexOf('ADDRESS');
    expect(lines[2].slice(col).startsWith('172.20.0.2:9000')).toBe(true);
    expect(lines.at(-1)).toBe('1/2 inference replicas ready');
  });

  it('shows a replica that answers /ready before its first healthcheck as ready', () => {
    const starting: StackStatus = {
      ...status,
      replicas: [{ ...status.replicas[0], ready: true }],
      services: [{ ...status.services[1], health: 'starting' }],
    };
    expect(renderStatusTable(starting).split('\n')[2].split(/\s+/)[3]).toBe('ready');
  });

  it('says when there is nothing', () => {
    expect(renderStatusTable({ project: 'p', url: null, replicas: [], services: [] })).toBe(
      'project p  load balancer not running\nno containers\n',
    );
  });

  it('formats uptimes compactly', () => {
    expect([0, 59, 61, 3600, 90_000, 200_000, null].map(formatUptime)).toEqual([
      '0s',
      '59s',
      '1m01s',
      '1h00m',
      '25h00m',
      '2d07h',
      '-',
    ]);
  });
});

describe('renderStatusTable on swarm', () => {
  it('lists the tasks per node, marking tasks Swarm is taking away', () => {
    const swarm: StackStatus = {
      ...status,
      engine: 'swarm',
      tasks: [
        {
          service: 'inference',
          slot: 2,
          task: 'demo_inference.2.b',
          node: 'n1',
          state: 'running',
          desired: 'running',
          address: '',
          error: '',
        },
        {
          service: 'inference',
          slot: 1,
          task: 'demo_inference.1.a',
          node: 'n0',
          state: 'running',
          desired: 'shutdown',
          address: '',
          error: '',
        },
        {
          service: 'storage',
          slot: 1,
          task: 'demo_storage.1.c',
          node: 'n0',
          state: 'running',
          desired: 'running',
          address: '',
          error: '',
        },
      ],
    };
    const text = renderStatusTable(swarm);
    expect(text).toContain(
      'tasks per node:\n  n0: inference.1 running→shutdown, storage.1 running\n  n1: inference.2 running',
    );
    expect(renderStatusTable(status)).not.toContain('tasks per node');
  });
});
