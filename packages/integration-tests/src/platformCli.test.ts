import { execFile } from 'node:child_process';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials } from '@backstage/backend-test-utils';
import { PlatformRun } from '@internal/plugin-platform-common';
import { waitFor } from '@internal/platform-test-utils';
import { LocalGithubApiServer, LocalKubernetesApiServer } from 'local-targets';
import { startGoldenPathBackend } from './__testUtils__/goldenPathBackend';

jest.setTimeout(60_000);

const BIN = path.resolve(__dirname, '../../platform-cli/bin/platform');

/**
 * The `platform` command line against the real scaffolder with every
 * platform module and the golden-path template, on the loopback GitHub and
 * Kubernetes servers, run as a user runs it: a child process with
 * PLATFORM_URL and PLATFORM_TOKEN. GitHub writes are paced one a second, so
 * each run that creates a repository takes about 15 seconds; the tests share
 * runs where one can show two things.
 */
describe('the platform CLI', () => {
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let stop: () => Promise<void>;
  let url: string;

  beforeAll(async () => {
    let backend;
    ({ github, cluster, backend, stop } = await startGoldenPathBackend({
      features: [
        actionsRegistryServiceFactory,
        // The rollback engine looks at runs on the scheduler; the test
        // backend's mock scheduler runs each task once, at startup.
        schedulerServiceFactory,
      ],
    }));
    url = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await stop?.();
  });

  /** The command, its exit code and output; async, so the backend answers meanwhile. */
  function platform(
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise(done => {
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: '/nonexistent',
            PLATFORM_URL: url,
            PLATFORM_TOKEN: mockCredentials.user.token(),
          },
        },
        (error, stdout, stderr) =>
          done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const create = (name: string, ...args: string[]) =>
    platform(
      'create',
      'microservice',
      '--set',
      `service_name=${name}`,
      '--set',
      'owner=group:default/team-payments',
      '--set-json',
      'dependencies=[]',
      ...args,
    );

  const writes = () => [
    ...github.requests.filter(r => r.method !== 'GET'),
    ...cluster.requests.filter(r => r.write),
  ];

  const states = (run: PlatformRun) =>
    run.resources.map(r => [r.kind, r.state]);

  async function show(taskId: string) {
    const result = await platform('runs', 'show', taskId, '-o', 'json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  }

  it('plans a run: its steps and what each would do, exit 0, with zero writes', async () => {
    const before = writes().length;
    const result = await create('orders', '--plan');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'A run of template:default/microservice would take these steps; nothing was created:',
    );
    expect(result.stdout).toMatch(
      /repo \(Create the repository\)\n {2}Dry run: would create private repository example-org\/orders on github\.com/,
    );
    expect(result.stdout).toMatch(/deploy +platform:kubernetes:apply +Deploy/);
    expect(writes()).toHaveLength(before);

    const json = await create('orders', '--plan', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      templateRef: 'template:default/microservice',
      // The template's defaults, as the form fills them in.
      values: {
        service_name: 'orders',
        language: 'go',
        lifecycle: 'experimental',
      },
      accepted: true,
      steps: expect.arrayContaining([
        {
          id: 'preflight',
          name: 'Check before anything is created',
          action: 'platform:preflight',
        },
      ]),
    });
  });

  it('creates a service and follows it to the end: exit 0', async () => {
    const result = await create('orders', '--wait');
    expect(result.stderr).toMatch(
      /^Started run \S+ of template:default\/microservice\n$/,
    );
    expect(result.code).toBe(0);
    // Not a terminal: every log line, then the report.
    expect(result.stdout).toContain(
      '[repo] Created https://github.com/example-org/orders with 12 file(s)\n',
    );
    expect(result.stdout).toContain(
      'Outcome:    Completed; created 7 resources\n',
    );
    expect(github.getRepo('example-org', 'orders')).toBeDefined();
  });

  it('refuses a taken name before any write: the plan and the run, exit 3', async () => {
    const before = writes().length;
    const plan = await create('orders', '--plan');
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain(
      'Repository example-org/orders already exists on github.com; choose another name',
    );

    const run = await create('orders', '--wait', '-o', 'json');
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      status: 'failed',
      outcome: 'refused',
      resources: [],
      failedStep: {
        id: 'preflight',
        action: 'platform:preflight',
        message: expect.stringContaining(
          'component:default/orders already exists in the catalog',
        ),
      },
    });
    // With -o json the log goes to stderr, so stdout is one document.
    expect(run.stderr).toContain(
      '[preflight] Beginning step Check before anything is created',
    );
    expect(writes()).toHaveLength(before);
  });

  it.each([
    [
      ['--set', 'service_name=Bad_Name'],
      'error: The template does not accept these values: service_name does not match pattern "^[a-z](-?[a-z0-9])*$"\n',
    ],
    [
      ['--set', 'service_name=nobody', '--set', 'language=cobol'],
      'error: The template does not accept these values: language is not one of enum values: go,python,nodejs\n',
    ],
  ])(
    'refuses values the template does not accept, exit 3: %j',
    async (args, stderr) => {
      const before = writes().length;
      const result = await platform(
        'create',
        'microservice',
        '--set',
        'owner=group:default/team-payments',
        ...args,
      );
      expect(result).toEqual({ code: 3, stdout: '', stderr });
      expect(writes()).toHaveLength(before);
    },
  );

  let failedRun: string;

  it('fails at deploy and rolls back: exit 1, with what became of each resource', async () => {
    cluster.failNext(1, {
      kind: 'Deployment',
      verb: 'create',
      status: 422,
      pathIncludes: '/namespaces/billing/',
    });
    const result = await create('billing', '--wait');
    expect(result.code).toBe(1);
    failedRun = result.stderr.match(/Started run (\S+)/)![1];
    expect(result.stdout).toContain(
      'Failed step: deploy (Deploy): InputError: Could not create Deployment billing in namespace billing on cluster local',
    );
    expect(result.stdout).toContain(
      'Outcome:     Failed; everything it created was rolled back\n',
    );
    expect(result.stdout).toMatch(
      / {2}repo +github:repository +github\.com\/example-org\/billing +rolled back: deleted\n/,
    );
    expect(result.stdout).toMatch(
      / {2}namespace +kubernetes:namespace +local\/namespaces\/billing +rolled back: deleted\n/,
    );
    expect(states(await show(failedRun))).toEqual([
      ['github:repository', 'rolled_back'],
      ['kubernetes:namespace', 'rolled_back'],
      ['kubernetes:resourcequota', 'rolled_back'],
      ['kubernetes:limitrange', 'rolled_back'],
    ]);
    expect(github.getRepo('example-org', 'billing')).toBeUndefined();
  });

  it('retries the failed run, which then completes: exit 0', async () => {
    const result = await platform('runs', 'retry', failedRun, '--wait');
    expect(result.stderr).toBe(`Retrying run ${failedRun}\n`);
    expect(result.code).toBe(0);
    // Only the new attempt's log.
    expect(result.stdout).not.toContain('injected fault');
    expect(result.stdout).toContain(
      'Outcome:    Completed; created 7 resources\n',
    );
    expect(github.getRepo('example-org', 'billing')).toBeDefined();

    const again = await platform('runs', 'retry', failedRun);
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: Run ${failedRun} is completed; only a failed or cancelled run can be retried\n`,
    });
  });

  it('cancels a run slowed at deploy: exit 1, and everything it created is rolled back', async () => {
    const slowDeploy = cluster.armFault(1, {
      step: 'deploy',
      delayMs: 5_000,
      pathIncludes: '/namespaces/ledger/',
    });
    const started = await create('ledger');
    expect(started.code).toBe(0);
    const taskId = started.stdout.trim();
    expect(started.stderr).toBe(
      `Started run ${taskId} of template:default/microservice; follow it with: platform runs logs ${taskId} --follow\n`,
    );
    // The fault is used up when the Deployment's create arrives to be held.
    await waitFor(
      'the deploy step to be held',
      async () =>
        cluster.listFaults().some(f => f.id === slowDeploy.id)
          ? undefined
          : true,
      40_000,
    );

    const result = await platform(
      'runs',
      'cancel',
      taskId,
      '--wait',
      '-o',
      'json',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      cancelled: true,
      cancelledBy: 'user:default/mock',
      outcome: 'rolled_back',
      failedStep: { id: 'deploy' },
    });
    expect(report.resources.map((r: { state: string }) => r.state)).toEqual(
      Array(report.resources.length).fill('rolled_back'),
    );
    expect(github.getRepo('example-org', 'ledger')).toBeUndefined();
    expect(cluster.get('namespaces', undefined, 'ledger')).toBeUndefined();

    const late = await platform('runs', 'cancel', taskId);
    expect(late).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: Run ${taskId} has already ended (failed); there is nothing to cancel\n`,
    });
  });

  it('lists runs newest first, as JSON and as a table', async () => {
    const all = await platform('runs', 'ls', '-o', 'json');
    expect(all.code).toBe(0);
    const runs: PlatformRun[] = JSON.parse(all.stdout);
    expect(runs.map(run => run.status)).toEqual([
      'failed', // ledger, cancelled
      'completed', // billing, retried
      'failed', // orders again, refused
      'completed', // orders
    ]);
    expect(runs[1]).toMatchObject({
      taskId: failedRun,
      templateRef: 'template:default/microservice',
      createdBy: 'user:default/mock',
      resources: expect.arrayContaining([
        expect.objectContaining({
          kind: 'github:repository',
          identity: 'github.com/example-org/billing',
          state: 'created',
        }),
      ]),
    });

    const failed = await platform(
      'runs',
      'ls',
      '--status',
      'failed',
      '--created-by',
      'mock',
      '-o',
      'json',
    );
    expect(
      JSON.parse(failed.stdout).map((run: PlatformRun) => run.taskId),
    ).toEqual([runs[0].taskId, runs[2].taskId]);

    const table = await platform('runs', 'ls', '--limit', '2');
    expect(table.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^ID +SERVICE +STATUS +TEMPLATE +CREATED BY +CREATED +RESOURCES$/,
      ),
      expect.stringMatching(
        new RegExp(
          `^${runs[0].taskId} +ledger +failed +microservice +mock +\\S+ +\\d rolled back$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${failedRun} +billing +completed +microservice +mock +\\S+ +7 created$`,
        ),
      ),
      '',
    ]);
  });

  it("prints a run log, and lists with --mine the runs the backend says are the caller's", async () => {
    const logs = await platform('runs', 'logs', failedRun);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(
      '[deploy] Deployed to namespace billing on cluster local',
    );

    // The token's user started every run of this suite; which runs are
    // whose, with two users, is the runs API's own suite.
    const mine = await platform('runs', 'ls', '--mine', '-o', 'json');
    expect(mine.code).toBe(0);
    const creators = JSON.parse(mine.stdout).map(
      (run: PlatformRun) => run.createdBy,
    );
    expect(creators.length).toBeGreaterThan(0);
    expect(new Set(creators)).toEqual(new Set(['user:default/mock']));
  });
});
