import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  RELATION_HAS_MEMBER,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  PlatformRun,
  PlatformRunOwnerFilter,
  PlatformRunPage,
} from '@internal/plugin-platform-common';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import { Knex } from 'knex';
import { queryRuns } from '../runsQuery';

/**
 * What a caller asks of the runs list; a `cursor` from an earlier page
 * carries the filters and replaces them.
 *
 * @public
 */
export interface PlatformRunsRequest {
  /** Whose runs; all that the caller may read unless set. */
  whose?: PlatformRunOwnerFilter;
  /** A scaffolder task status or `expired`, or several, comma-separated. */
  status?: string;
  /** Only runs this user started, as `ada` or `user:default/ada`. */
  createdBy?: string;
  /** A template's ref or, in the default namespace, its name. */
  template?: string;
  /** At most this many runs; 100 unless set. */
  limit?: number;
  /** How many matching runs to skip. */
  offset?: number;
  /** The `nextCursor` or `prevCursor` of an earlier page. */
  cursor?: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

type Cursor = Omit<PlatformRunsRequest, 'cursor' | 'limit'> & {
  offset: number;
};

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (typeof decoded?.offset === 'number') {
      return decoded;
    }
  } catch {
    // Said below.
  }
  throw new InputError(
    `The cursor ${cursor} is not one a runs page gave; start from the first page`,
  );
}

/** A full entity ref of `value`, which may leave out kind and namespace. */
function toRef(value: string, kind: 'user' | 'template'): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(value, { defaultKind: kind, defaultNamespace: 'default' }),
    );
  } catch {
    const example = kind === 'user' ? 'ada' : 'microservice';
    throw new InputError(
      `The ${kind} "${value}" is not a ${kind} name or ref such as ${example} or ${kind}:default/${example}`,
    );
  }
}

/**
 * The runs a caller may read, for the runs API and the actions registry
 * alike: both answer with the caller's own permissions.
 *
 * @public
 */
export class PlatformRuns {
  constructor(
    private readonly options: {
      db: Knex;
      /** Whether the scaffolder's `tasks` table can be read. */
      tasksReadable: () => Promise<boolean>;
      access: PlatformPermissions;
      userInfo: UserInfoService;
      catalog: CatalogService;
    },
  ) {}

  /** One page of the runs the caller may read, newest first. */
  async list(
    credentials: BackstageCredentials,
    request: PlatformRunsRequest,
  ): Promise<PlatformRunPage> {
    const { db, tasksReadable, access } = this.options;
    const limit = request.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new InputError(
        `limit is ${request.limit}; use a whole number from 1 to ${MAX_LIMIT}`,
      );
    }
    const { cursor: _cursor, limit: _limit, ...given } = request;
    const page: Cursor = request.cursor
      ? decodeCursor(request.cursor)
      : { ...given, offset: request.offset ?? 0 };
    if (!Number.isInteger(page.offset) || page.offset < 0) {
      throw new InputError(
        `offset is ${page.offset}; use a whole number from 0`,
      );
    }
    const whose = page.whose ?? 'all';
    if (!['mine', 'my-teams', 'all'].includes(whose)) {
      throw new InputError(`whose is ${whose}; use mine, my-teams or all`);
    }
    const filter = await access.runFilter(credentials);
    const starter = page.createdBy && toRef(page.createdBy, 'user');
    const people =
      whose === 'all' ? undefined : await this.people(credentials, whose);
    const { runs, totalItems } = await queryRuns(
      db,
      {
        filter,
        createdBy: starter
          ? (people ?? [starter]).filter(person => person === starter)
          : people,
        statuses: page.status
          ? page.status.split(',').map(status => status.trim())
          : undefined,
        templateRef: page.template
          ? toRef(page.template, 'template')
          : undefined,
        limit,
        offset: page.offset,
      },
      { withTasks: await tasksReadable() },
    );
    const next = page.offset + runs.length;
    return {
      runs,
      totalItems,
      nextCursor:
        next < totalItems && runs.length > 0
          ? encodeCursor({ ...page, offset: next })
          : undefined,
      prevCursor:
        page.offset > 0
          ? encodeCursor({ ...page, offset: Math.max(0, page.offset - limit) })
          : undefined,
    };
  }

  /** The run, if the caller may read it; a run they may not is not found. */
  async get(
    credentials: BackstageCredentials,
    taskId: string,
  ): Promise<PlatformRun> {
    const { db, tasksReadable, access } = this.options;
    const {
      runs: [run],
    } = await queryRuns(
      db,
      { filter: 'all', taskId, limit: 1, offset: 0 },
      { withTasks: await tasksReadable() },
    );
    if (!run || !(await access.canReadRun(credentials, run))) {
      throw new NotFoundError(`No platform run for task ${taskId}`);
    }
    return run;
  }

  /** The caller, or everyone who shares one of the caller's groups. */
  private async people(
    credentials: BackstageCredentials,
    whose: 'mine' | 'my-teams',
  ): Promise<string[]> {
    if ((credentials.principal as { type?: string }).type !== 'user') {
      throw new InputError(
        `Only a user has runs of their own; ask for whose=all instead of ${whose}`,
      );
    }
    const { userEntityRef, ownershipEntityRefs } =
      await this.options.userInfo.getUserInfo(credentials);
    const groups = ownershipEntityRefs.filter(
      ref => parseEntityRef(ref).kind.toLocaleLowerCase('en-US') === 'group',
    );
    if (whose === 'mine' || groups.length === 0) {
      return [userEntityRef];
    }
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs: groups, fields: ['relations'] },
      { credentials },
    );
    const members = items.flatMap(group =>
      (group?.relations ?? [])
        .filter(relation => relation.type === RELATION_HAS_MEMBER)
        .map(relation => relation.targetRef),
    );
    return [...new Set([userEntityRef, ...members])];
  }
}
