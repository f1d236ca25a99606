import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { ScaffolderApi } from '@backstage/plugin-scaffolder-react';
import { scaffolderApiMock } from '@backstage/plugin-scaffolder-react/testUtils';
import {
  PlatformResource,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { act, screen, waitFor, within } from '@testing-library/react';
import { useEffect, useState } from 'react';
import { platformApiRef } from '../../api/PlatformApi';
import { RollbackOutputs } from './RollbackOutputs';

const repository: PlatformResource = {
  id: 'r1',
  taskId: 'task-1',
  stepId: 'create-repo',
  kind: 'github:repository',
  identity: 'example-org/ledger',
  url: 'https://github.com/example-org/ledger',
  state: 'created',
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
};

const namespace: PlatformResource = {
  ...repository,
  id: 'r2',
  stepId: 'create-namespace',
  kind: 'kubernetes:namespace',
  identity: 'local/ns/ledger',
  url: undefined,
};

function run(
  status: string,
  ...resources: Array<Partial<PlatformResource>>
): PlatformRun {
  return {
    taskId: 'task-1',
    status,
    templateRef: 'template:default/microservice',
    createdAt: '2026-11-23T10:00:00.000Z',
    resources: resources.map((r, i) => ({
      ...(i === 0 ? repository : namespace),
      ...r,
    })),
  };
}

const links = {
  links: [
    { title: 'Repository', url: 'https://github.com/example-org/ledger' },
  ],
};

type TaskStatus = Awaited<ReturnType<ScaffolderApi['getTask']>>['status'];

/**
 * The stock task page as the scaffolder renders the outputs component: with
 * no output until the task's completion event brings it, when
 * `outputArrives` is given.
 */
function TaskPageOutputs(props: {
  output?: typeof links;
  outputArrives?: Promise<void>;
  pollIntervalMs: number;
}) {
  const { outputArrives } = props;
  const [output, setOutput] = useState(
    outputArrives ? undefined : props.output,
  );
  useEffect(() => {
    outputArrives?.then(() => setOutput(props.output));
  }, [outputArrives, props.output]);
  return (
    <RollbackOutputs output={output} pollIntervalMs={props.pollIntervalMs} />
  );
}

function renderTaskPage(options: {
  getRun: jest.Mock;
  taskStatus?: TaskStatus | (() => TaskStatus);
  output?: typeof links;
  outputArrives?: Promise<void>;
  pollIntervalMs?: number;
}) {
  const { taskStatus = 'failed' } = options;
  const getTask = jest.fn<ReturnType<ScaffolderApi['getTask']>, []>(
    async () => ({
      id: 'task-1',
      status: typeof taskStatus === 'function' ? taskStatus() : taskStatus,
      createdAt: '2026-11-23T10:00:00.000Z',
      spec: {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        parameters: {},
        steps: [],
        output: {},
      },
    }),
  );
  renderInTestApp(
    <TaskPageOutputs
      output={options.output}
      outputArrives={options.outputArrives}
      pollIntervalMs={options.pollIntervalMs ?? 10}
    />,
    {
      mountPath: '/create/tasks/:taskId',
      initialRouteEntries: ['/create/tasks/task-1'],
      // The stock link outputs can point at catalog entities.
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: [
        [platformApiRef, { getRun: options.getRun, listRuns: jest.fn() }],
        scaffolderApiMock.mock({ getTask }),
      ],
    },
  );
  return { getTask };
}

/** The state a user reads in the row of the resource of that kind. */
function stateOf(kind: string): string | null {
  const row = screen.getAllByRole('row').find(r => within(r).queryByText(kind));
  return within(row!).getByTestId('resource-state').textContent;
}

/** Lets a few poll intervals pass, to show that no more reads happen. */
function morePollIntervals() {
  return new Promise(resolve => setTimeout(resolve, 100));
}

describe('RollbackOutputs', () => {
  it('keeps the stock output links and lists what a completed run created', async () => {
    const getRun = jest
      .fn()
      .mockResolvedValue(run('completed', {}, { state: 'kept' }));
    renderTaskPage({ getRun, output: links });

    expect(
      await screen.findByText('This run completed and created 2 resources.'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Repository/ })).toHaveAttribute(
      'href',
      'https://github.com/example-org/ledger',
    );
    expect(
      screen.getByRole('heading', { name: 'Created resources' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /^example-org\/ledger/ }),
    ).toHaveAttribute('href', 'https://github.com/example-org/ledger');
    expect(stateOf('github:repository')).toBe('created');
    expect(stateOf('kubernetes:namespace')).toBe(
      'created; kept even if the run fails (rollback: false)',
    );
    expect(getRun).toHaveBeenCalledWith('task-1');

    await morePollIntervals();
    expect(getRun).toHaveBeenCalledTimes(1);
  });

  it("takes the task's end from the scaffolder while the journal has not caught up", async () => {
    const getRun = jest.fn().mockResolvedValue(run('processing', {}, {}));
    renderTaskPage({ getRun, taskStatus: 'completed' });

    expect(
      await screen.findByText('This run completed and created 2 resources.'),
    ).toBeInTheDocument();
    await morePollIntervals();
    expect(getRun).toHaveBeenCalledTimes(1);
  });

  it("reads the run again as soon as the task's outputs arrive", async () => {
    let completed = false;
    let completionEvent!: () => void;
    const outputArrives = new Promise<void>(resolve => {
      completionEvent = resolve;
    });
    const getRun = jest.fn().mockResolvedValue(run('processing', {}));
    renderTaskPage({
      getRun,
      taskStatus: () => (completed ? 'completed' : 'processing'),
      output: links,
      outputArrives,
      // Far longer than the test: only the outputs can cause a second read.
      pollIntervalMs: 60_000,
    });

    expect(
      await screen.findByText(
        'This run is in progress and has created 1 resource so far.',
      ),
    ).toBeInTheDocument();
    completed = true;
    await act(async () => completionEvent());
    expect(
      await screen.findByText('This run completed and created 1 resource.'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Repository/ }),
    ).toBeInTheDocument();
    expect(getRun).toHaveBeenCalledTimes(2);
  });

  it('shows a failed run being rolled back, then rolled back after a poll, and stops polling', async () => {
    // The rollback finishes only when the test has seen it under way.
    let finishRollback!: () => void;
    const rollbackFinished = new Promise<void>(resolve => {
      finishRollback = resolve;
    });
    const getRun = jest
      .fn()
      .mockResolvedValueOnce(run('failed', {}, { state: 'rolling_back' }))
      .mockImplementation(async () => {
        await rollbackFinished;
        return run(
          'failed',
          { state: 'rolled_back', reason: 'deleted' },
          { state: 'rolled_back', reason: 'it was already gone' },
        );
      });
    renderTaskPage({ getRun });

    expect(
      await screen.findByText(
        'This run failed: everything it created is being removed.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Rollback' }),
    ).toBeInTheDocument();
    expect(stateOf('github:repository')).toBe('waiting for rollback');
    expect(stateOf('kubernetes:namespace')).toBe('rolling back');

    finishRollback();
    expect(
      await screen.findByText(
        'This run failed: everything it created was removed.',
      ),
    ).toBeInTheDocument();
    expect(stateOf('github:repository')).toBe('rolled back: deleted');
    expect(stateOf('kubernetes:namespace')).toBe(
      'rolled back: it was already gone',
    );

    await morePollIntervals();
    expect(getRun).toHaveBeenCalledTimes(2);
  });

  it('says which resource could not be removed, with the reason verbatim', async () => {
    const reason =
      'The cluster refused to delete namespace ledger: namespaces "ledger" is forbidden.';
    const getRun = jest
      .fn()
      .mockResolvedValue(
        run(
          'failed',
          { state: 'rolled_back' },
          { state: 'rollback_failed', reason },
        ),
      );
    renderTaskPage({ getRun });

    expect(
      await screen.findByText(
        'This run failed: 1 resource could not be removed.',
      ),
    ).toBeInTheDocument();
    expect(stateOf('kubernetes:namespace')).toBe(`rollback failed${reason}`);
    expect(screen.getByTestId('resource-reason')).toHaveTextContent(reason);
  });

  it('shows a resource its step kept with rollback: false', async () => {
    const getRun = jest
      .fn()
      .mockResolvedValue(
        run('cancelled', { state: 'kept' }, { state: 'rolled_back' }),
      );
    renderTaskPage({ getRun });

    expect(
      await screen.findByText(
        'This run was cancelled: everything it created was removed, except 1 resource kept on purpose.',
      ),
    ).toBeInTheDocument();
    expect(stateOf('github:repository')).toBe(
      'kept: its step set rollback: false',
    );
  });

  it('shows nothing but the stock outputs for a task that recorded nothing', async () => {
    const getRun = jest.fn().mockResolvedValue(undefined);
    const { getTask } = renderTaskPage({ getRun, output: links });

    expect(
      await screen.findByRole('link', { name: /Repository/ }),
    ).toBeInTheDocument();
    await waitFor(() => expect(getTask).toHaveBeenCalled());
    await morePollIntervals();
    expect(screen.queryByTestId('platform-rollback')).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(getRun).toHaveBeenCalledTimes(1);
  });

  it('keeps looking while the task runs, since a later step may create the first resource', async () => {
    const getRun = jest
      .fn()
      .mockResolvedValueOnce(undefined)
      .mockResolvedValue(run('processing', {}));
    renderTaskPage({ getRun, taskStatus: 'processing' });

    expect(
      await screen.findByText(
        'This run is in progress and has created 1 resource so far.',
      ),
    ).toBeInTheDocument();
    expect(stateOf('github:repository')).toBe('created');
  });

  it('says the run could not be read, with the server message, and stops polling', async () => {
    const error = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'Error', message: 'The database is down' },
          response: { statusCode: 500 },
        }),
        {
          status: 500,
          statusText: 'Internal Server Error',
          headers: { 'Content-Type': 'application/json' },
        },
      ),
    );
    const getRun = jest.fn().mockRejectedValue(error);
    renderTaskPage({ getRun, output: links });

    expect(
      await screen.findByText(/Could not read what this run created/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Request failed with 500 Internal Server Error: The database is down',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Repository/ }),
    ).toBeInTheDocument();

    await morePollIntervals();
    expect(getRun).toHaveBeenCalledTimes(1);
  });
});
