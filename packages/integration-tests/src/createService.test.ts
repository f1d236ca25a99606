import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { JsonObject } from '@backstage/types';
import { LocalGithubApiServer, LocalKubernetesApiServer } from 'local-targets';
import { waitFor } from '@internal/platform-test-utils';
import {
  GoldenPathBackend,
  startGoldenPathBackend,
} from './__testUtils__/goldenPathBackend';

jest.setTimeout(90_000);

const values = (name: string) => ({
  service_name: name,
  description: 'Takes payments.',
  language: 'go',
  owner: 'group:default/team-payments',
  lifecycle: 'experimental',
  expose_public: false,
  github_org: 'example-org',
  dependencies: [],
});

/**
 * `scaffolder:create-service` through the actions registry's HTTP API, as
 * the MCP backend and `backstage-cli actions execute` call it, against the
 * real scaffolder with every platform module and the loopback targets.
 */
describe('the create-service action', () => {
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let backend: GoldenPathBackend['backend'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ github, cluster, backend, stop } = await startGoldenPathBackend({
      features: [actionsRegistryServiceFactory],
    }));
  });

  afterAll(async () => {
    await stop?.();
  });

  const invoke = (input: JsonObject) =>
    request(backend.server)
      .post(
        '/api/scaffolder/.backstage/actions/v1/actions/scaffolder:create-service/invoke',
      )
      .set('Authorization', mockCredentials.user.header())
      .send(input);

  const finished = (taskId: string) =>
    waitFor(
      `task ${taskId} to finish`,
      async () => {
        const task = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${taskId}`)
          .set('Authorization', mockCredentials.user.header());
        return ['completed', 'failed', 'cancelled'].includes(task.body.status)
          ? (task.body.status as string)
          : undefined;
      },
      60_000,
    );

  const writes = () => ({
    github: github.requests.filter(r => r.method !== 'GET'),
    cluster: cluster.requests.filter(r => r.write),
  });

  it('is listed with its schema', async () => {
    const response = await request(backend.server)
      .get('/api/scaffolder/.backstage/actions/v1/actions')
      .set('Authorization', mockCredentials.user.header());
    const action = response.body.actions.find(
      (a: { id: string }) => a.id === 'scaffolder:create-service',
    );
    expect(action).toMatchObject({
      title: 'Create a service from a golden path',
      schema: {
        input: {
          properties: {
            templateRef: expect.anything(),
            values: expect.anything(),
            plan: expect.anything(),
          },
        },
      },
    });
  });

  it('plans a run: its steps and what each would do, with zero writes', async () => {
    github.requests.length = 0;
    cluster.requests.length = 0;
    const response = await invoke({ values: values('plan-only'), plan: true });
    expect(response.status).toBe(200);
    const { output } = response.body;
    expect(output.accepted).toBe(true);
    expect(output.taskId).toBeUndefined();
    expect(output.steps.map((s: { action: string }) => s.action)).toEqual(
      expect.arrayContaining([
        'platform:preflight',
        'platform:github:repo:create',
        'platform:kubernetes:namespace:create',
        'platform:kubernetes:apply',
      ]),
    );
    expect(output.log.join('\n')).toMatch(/plan-only/);
    expect(writes()).toEqual({ github: [], cluster: [] });
    expect(github.getRepo('example-org', 'plan-only')).toBeUndefined();
  });

  it('says a plan would be refused when the name is taken, still with zero writes', async () => {
    const first = await invoke({ values: values('taken-name') }).expect(200);
    expect(await finished(first.body.output.taskId)).toBe('completed');
    github.requests.length = 0;
    cluster.requests.length = 0;

    const response = await invoke({ values: values('taken-name'), plan: true });
    expect(response.body.output.accepted).toBe(false);
    expect(response.body.output.log.join('\n')).toMatch(/taken-name/);
    expect(writes()).toEqual({ github: [], cluster: [] });
  });

  it('starts a run with the caller as its creator', async () => {
    const response = await invoke({ values: values('started-here') });
    expect(response.status).toBe(200);
    const { taskId } = response.body.output;
    const task = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}`)
      .set('Authorization', mockCredentials.user.header());
    expect(task.body.createdBy).toBe(
      mockCredentials.user().principal.userEntityRef,
    );
    expect(await finished(taskId)).toBe('completed');
    expect(github.getRepo('example-org', 'started-here')).toBeDefined();
  });
});
