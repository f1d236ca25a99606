import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { LocalGithubApiServer } from 'local-targets';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import {
  githubIntegrationConfig,
  startTestGithub,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';
import { platformModules } from './__testUtils__/platformModules';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { JournalEntry } from '@internal/plugin-platform-node';
import {
  carriesNonce,
  isCreatedByEntry,
  runHomepage,
} from '@internal/plugin-scaffolder-backend-module-platform-github';

jest.setTimeout(90_000);

const NONCE = '0123456789abcdef0123456789abcdef';

describe('runHomepage', () => {
  it.each([
    ['http://backstage.test', 'http://backstage.test/create/tasks/t1?run='],
    ['http://backstage.test/', 'http://backstage.test/create/tasks/t1?run='],
    [
      'https://example.com/backstage/',
      'https://example.com/backstage/create/tasks/t1?run=',
    ],
  ])('links %s’s task page and carries the nonce', (appBaseUrl, prefix) => {
    const homepage = runHomepage({ appBaseUrl, taskId: 't1', nonce: NONCE });
    expect(homepage).toBe(`${prefix}${NONCE}`);
    expect(carriesNonce(homepage, NONCE)).toBe(true);
  });
});

describe('isCreatedByEntry', () => {
  const homepage = `http://backstage.test/create/tasks/t1?run=${NONCE}`;
  const entry = (state: JournalEntry['state'], data: JournalEntry['data']) => ({
    state,
    data,
  });

  it.each([
    ['the recorded id', { id: 7 }, entry('created', { repoId: 7 }), true],
    [
      'another id, whatever the homepage',
      { id: 8, homepage },
      entry('created', { repoId: 7, nonce: NONCE }),
      false,
    ],
    [
      'the recorded id of a rollback that failed',
      { id: 7 },
      entry('rollback_failed', { repoId: 7 }),
      true,
    ],
    [
      'the nonce of an unconfirmed create',
      { id: 8, homepage },
      entry('pending', { nonce: NONCE }),
      true,
    ],
    [
      'the nonce of an unconfirmed create being rolled back',
      { id: 8, homepage },
      entry('rolling_back', { nonce: NONCE }),
      true,
    ],
    [
      'the task URL alone',
      { id: 8, homepage: 'http://backstage.test/create/tasks/t1' },
      entry('pending', { nonce: NONCE }),
      false,
    ],
    [
      'the nonce of a rolled back attempt',
      { id: 8, homepage },
      entry('rolled_back', { nonce: NONCE }),
      false,
    ],
    [
      'the nonce of an attempt whose rollback failed',
      { id: 8, homepage },
      entry('rollback_failed', { nonce: NONCE }),
      false,
    ],
    [
      'a nonce the entry does not hold',
      { id: 8, homepage: `${homepage}0` },
      entry('pending', { nonce: NONCE }),
      false,
    ],
    [
      'an entry without a nonce',
      { id: 8, homepage: 'http://backstage.test/create/tasks/t1?run=' },
      entry('pending', {}),
      false,
    ],
  ])('proves ownership by %s: %#', (_, repository, journaled, owned) => {
    expect(isCreatedByEntry(repository, journaled)).toBe(owned);
  });
});

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'service', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [{ properties: { name: { type: 'string' } } }],
    steps: [
      { id: 'before', action: 'test:step', input: { writeFiles: true } },
      {
        id: 'repo',
        action: 'platform:github:repo:create',
        input: {
          repoUrl: 'github.test?owner=acme&repo=${{ parameters.name }}',
        },
      },
      { id: 'after', action: 'test:step', input: { fail: true } },
    ],
  },
};

describe('a repository stamped with a run’s markers, through the scaffolder', () => {
  let github: LocalGithubApiServer;
  const knex = createSqliteDatabase();
  const journal = new DatabaseRollbackJournal(knex);
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    github = await startTestGithub();
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        ...platformModules,
        testStepsModule,
        catalogServiceMock.mock({ getEntityByRef: async () => template })
          .factory,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            ...githubIntegrationConfig(github),
            platform: {
              github: UNPACED_GITHUB,
              rollback: { pollInterval: { milliseconds: 200 } },
            },
          },
        }),
      ],
    });
  });

  // The database stays open: the scaffolder keeps polling it after stop().
  afterAll(async () => {
    await backend?.stop();
    await github?.close();
  });

  const auth = mockCredentials.user.header();
  const status = async (taskId: string): Promise<string> =>
    (
      await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', auth)
    ).body.status;
  // Scaffolder 1.55 ends a cancelled run as `failed`, after a `cancelled` event.
  const failed = (taskId: string) =>
    waitFor(`task ${taskId} to fail`, async () =>
      ['failed', 'cancelled'].includes(await status(taskId)) ? true : undefined,
    );
  const stepEntry = (taskId: string, state: JournalEntry['state']) =>
    waitFor(`the repository of ${taskId} to be ${state}`, async () => {
      const [entry] = await journal.listByTask(taskId);
      return entry?.state === state ? entry : undefined;
    });
  const snapshot = (owner: string, name: string) => {
    const repo = github.getRepo(owner, name);
    return JSON.stringify({ ...repo, refs: [...(repo?.git.refs ?? [])] });
  };

  /**
   * A run whose first attempt failed and was rolled back: after a later
   * step failed (the journal holds the repository id), or while GitHub had
   * not answered the create when the user cancelled (only the nonce).
   */
  async function rolledBackRun(name: string, firstAttempt: string) {
    if (firstAttempt === 'cancelled during the create') {
      github.failNext(1, {
        kind: 'timeout',
        afterCommit: true,
        method: 'POST',
        path: '/orgs/acme/repos',
      });
    }
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({ templateRef: 'template:default/service', values: { name } });
    expect(res.status).toBe(201);
    const taskId: string = res.body.id;
    if (firstAttempt === 'cancelled during the create') {
      await waitFor('the repository', async () => github.getRepo('acme', name));
      await request(backend.server)
        .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
        .set('Authorization', auth)
        .expect(200);
    }
    await failed(taskId);
    const entry = await stepEntry(taskId, 'rolled_back');
    expect(github.getRepo('acme', name)).toBeUndefined();
    expect(entry.data.repoId === undefined).toBe(
      firstAttempt === 'cancelled during the create',
    );
    return { taskId, nonce: String(entry.data.nonce), entry };
  }

  it.each([
    ['the task URL', 'failed later', 'svc-url-later'],
    ['the task URL', 'cancelled during the create', 'svc-url-cancel'],
    ['the first attempt’s nonce', 'failed later', 'svc-nonce-later'],
    [
      'the first attempt’s nonce',
      'cancelled during the create',
      'svc-nonce-cancel',
    ],
  ])(
    'never adopts, changes or deletes on retry a repository someone stamped with %s after the first attempt %s',
    async (stamp, firstAttempt, name) => {
      const { taskId, nonce, entry } = await rolledBackRun(name, firstAttempt);

      // Someone creates the name again, with the markers of the failed run.
      const taskUrl = `http://backstage.test/create/tasks/${taskId}`;
      github.seedRepo('acme', name, {
        homepage:
          stamp === 'the task URL' ? taskUrl : `${taskUrl}?run=${nonce}`,
      });
      const before = snapshot('acme', name);
      const requestsBefore = github.requests.length;

      await request(backend.server)
        .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
        .set('Authorization', auth)
        .send({})
        .expect(201);
      await waitFor('the retried step to refuse the name', async () => {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
          .set('Authorization', auth);
        return JSON.stringify(events.body).includes(
          `Repository acme/${name} already exists on github.test; choose another name`,
        )
          ? true
          : undefined;
      });
      await failed(taskId);
      // Time for the rollback engine to act, were it to act on anything.
      await delay(1_000);

      expect(snapshot('acme', name)).toBe(before);
      expect(
        github.requests
          .slice(requestsBefore)
          .filter(r => r.method !== 'GET')
          .map(r => `${r.method} ${r.path}`),
      ).toEqual([]);
      expect(await journal.listByTask(taskId)).toEqual([entry]);
    },
  );
});
