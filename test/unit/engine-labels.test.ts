import { describe, expect, it } from 'vitest';
import {
  COMPOSE_VERSION,
  configHash,
  containerLabels,
  containerName,
  LABEL,
  networkName,
  projectFilters,
  volumeName,
} from '../../toolkit/engine/labels.ts';
import { DEFAULT_SPEC } from '../../toolkit/spec/defaults.ts';
import { serviceDefs } from '../../toolkit/spec/service-defs.ts';

const spec = { ...DEFAULT_SPEC, cwd: '/tmp/x', project: 'demo' };
const defs = serviceDefs(spec, { services: 'svc:1', nginx: 'ngx:1' }, { liveNginxDir: '/tmp/x/.toolkit/demo/nginx' });
const inference = defs.find((d) => d.name === 'inference')!;

describe('engine labels', () => {
  it('names objects like compose v2 does', () => {
    expect(containerName('demo', 'inference', 3)).toBe('demo-inference-3');
    expect(networkName('demo')).toBe('demo_default');
    expect(volumeName('demo', 'storage-data')).toBe('demo_storage-data');
    expect(volumeName('demo', 'demo_storage-data')).toBe('demo_storage-data');
  });

  it('carries the labels docker-compose ps filters on, plus our marker', () => {
    const labels = containerLabels({
      project: 'demo',
      service: 'inference',
      number: 2,
      workingDir: '/tmp/x/compose',
      configHash: 'abc',
      containerPort: 8000,
    });
    expect(labels).toMatchObject({
      'com.docker.compose.project': 'demo',
      'com.docker.compose.service': 'inference',
      'com.docker.compose.container-number': '2',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': '/tmp/x/compose',
      'com.docker.compose.config-hash': 'abc',
      'com.docker.compose.version': COMPOSE_VERSION,
      'dev.replica-toolkit.managed': 'true',
      [LABEL.port]: '8000',
    });
    expect(
      containerLabels({ project: 'p', service: 's', number: 1, oneoff: true, workingDir: '/', configHash: '' })[
        LABEL.oneoff
      ],
    ).toBe('True');
  });

  it('filters by project and our marker label', () => {
    expect(projectFilters('demo', { [LABEL.service]: 'nginx' })).toEqual({
      label: [
        'com.docker.compose.project=demo',
        'dev.replica-toolkit.managed=true',
        'com.docker.compose.service=nginx',
      ],
    });
  });

  it('hashes what a container is made of, not how many there are', () => {
    const base = configHash(inference, 'sha256:1');
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash({ ...inference, replicas: 7 }, 'sha256:1')).toBe(base);
    // Key order does not matter.
    expect(
      configHash({ ...inference, env: Object.fromEntries(Object.entries(inference.env).reverse()) }, 'sha256:1'),
    ).toBe(base);
    expect(configHash({ ...inference, env: { ...inference.env, MAX_INFLIGHT: '1' } }, 'sha256:1')).not.toBe(base);
    expect(configHash(inference, 'sha256:2')).not.toBe(base);
  });
});
