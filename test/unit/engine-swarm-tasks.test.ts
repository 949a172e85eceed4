// Which tasks the load balancer sends to: running (= healthy, Swarm holds a task with a healthcheck in `starting`
// until it passes) and still wanted. A task Swarm is stopping leaves the upstream while it still runs.
import { describe, expect, it } from 'vitest';
import { isLeaving, isServing, type RawTask, taskView, upstreamFromTasks } from '../../toolkit/engine/swarm/tasks.ts';

const NET = 'demo_default';
function task(id: string, slot: number, state: string, desired: string, ip = `10.0.1.${slot + 10}`, at = '1'): RawTask {
  return {
    ID: id,
    Slot: slot,
    NodeID: `node-${slot % 2}`,
    DesiredState: desired,
    UpdatedAt: at,
    Spec: { ContainerSpec: { Labels: { 'dev.replica-toolkit.spec-hash': 'h1' } } },
    Status: { State: state, Err: '' },
    NetworksAttachments: [
      { Network: { Spec: { Name: 'ingress' } }, Addresses: ['10.255.0.9/16'] },
      ...(ip ? [{ Network: { Spec: { Name: NET } }, Addresses: [`${ip}/24`] }] : []),
    ],
  };
}
const view = (t: RawTask) => taskView(t, 'demo_inference', NET);

describe('taskView', () => {
  it('reads the overlay address of the project network, the task name and the spec hash', () => {
    const v = view(task('abc', 2, 'running', 'running', '10.0.1.7'));
    expect(v).toMatchObject({
      name: 'demo_inference.2.abc',
      slot: 2,
      ip: '10.0.1.7',
      specHash: 'h1',
      state: 'running',
      desired: 'running',
    });
    expect(view(task('x', 1, 'pending', 'running', '')).ip).toBe('');
  });
});

describe('upstreamFromTasks', () => {
  it('holds running tasks Swarm still wants, numbered by slot, on the inference port', () => {
    const tasks = [
      task('a', 1, 'running', 'running'),
      task('b', 2, 'starting', 'running'), // healthcheck not passed yet
      task('c', 3, 'running', 'shutdown'), // chosen by a scale-down: draining
      task('d', 4, 'running', 'remove'),
      task('e', 5, 'running', 'running'),
      task('f', 6, 'failed', 'shutdown'),
    ].map(view);
    expect(upstreamFromTasks(tasks, 8000)).toEqual([
      { number: 1, name: 'demo_inference.1.a', address: '10.0.1.11:8000' },
      { number: 5, name: 'demo_inference.5.e', address: '10.0.1.15:8000' },
    ]);
    expect(tasks.filter(isLeaving).map((t) => t.id)).toEqual(['c', 'd']);
    expect(tasks.filter(isServing).map((t) => t.id)).toEqual(['a', 'e']);
  });

  it('gives two serving tasks of one slot (start-first update) distinct numbers, the newer one last', () => {
    const tasks = [
      task('new', 1, 'running', 'running', '10.0.1.50', '2'),
      task('old', 1, 'running', 'running', '10.0.1.40', '1'),
      task('b', 2, 'running', 'running'),
    ].map(view);
    expect(upstreamFromTasks(tasks, 8000).map((r) => [r.number, r.name])).toEqual([
      [1, 'demo_inference.1.old'],
      [3, 'demo_inference.1.new'],
      [2, 'demo_inference.2.b'],
    ]);
  });

  it('is empty when nothing serves', () => {
    expect(upstreamFromTasks([view(task('a', 1, 'preparing', 'running'))], 8000)).toEqual([]);
  });
});
