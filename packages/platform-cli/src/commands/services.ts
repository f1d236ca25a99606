import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { DependencySummary } from '@internal/plugin-platform-common';
import { Command } from 'commander';
import { PlatformBackend } from '../lib/backend';
import { withCatalog } from '../lib/catalog';
import {
  OutputFormat,
  outputOption,
  printFields,
  printOutput,
  printTable,
  shortRef,
} from '../lib/output';
import {
  listServices,
  ServiceSummary,
  toServiceSummary,
} from '../lib/services';

/** The value of --type that lists Components of every type. */
const ALL_TYPES = 'all';

function printServiceTable(services: ServiceSummary[]): void {
  if (services.length === 0) {
    process.stdout.write('No services match.\n');
    return;
  }
  printTable([
    [
      'NAME',
      'TYPE',
      'LIFECYCLE',
      'OWNER',
      'DEPENDENCIES',
      'DEPENDENTS',
      'REPOSITORY',
    ],
    ...services.map(service => [
      shortRef(service.ref, 'component'),
      service.type ?? '-',
      service.lifecycle ?? '-',
      service.owner ? shortRef(service.owner, 'group') : '-',
      String(service.dependencies.length),
      String(service.dependents.length),
      service.repository ?? '-',
    ]),
  ]);
}

/** What `services show` prints: the summary and the blast radius. */
interface ServiceDetails extends ServiceSummary {
  blastRadius: string[];
  blastRadiusTotal: number;
}

function printServiceDetails(service: ServiceDetails): void {
  const dependencies = service.dependencies.map(
    ({ target, type, critical }) =>
      `${target} (${type}${critical ? ', critical' : ''})`,
  );
  const fields: Array<[string, string[]]> = [
    ['Service', [service.ref]],
    ['Title', [service.title ?? '-']],
    ['Type', [service.type ?? '-']],
    ['Lifecycle', [service.lifecycle ?? '-']],
    ['Owner', [service.owner ?? '-']],
    ['Repository', [service.repository ?? '-']],
    ['Dependencies', dependencies.length > 0 ? dependencies : ['none']],
    [
      'Dependents',
      service.dependents.length > 0 ? service.dependents : ['none'],
    ],
    [
      'Blast radius',
      service.blastRadiusTotal > 0
        ? [
            ...service.blastRadius,
            ...(service.blastRadiusTotal > service.blastRadius.length
              ? [
                  `and ${
                    service.blastRadiusTotal - service.blastRadius.length
                  } more`,
                ]
              : []),
          ]
        : ['none'],
    ],
  ];
  printFields(fields);
}

export function registerServicesCommands(program: Command): void {
  const services = program
    .command('services')
    .description('Services in the catalog, with their owners and dependencies');

  services
    .command('ls')
    .description(
      'List services: owner, lifecycle, type, repository, dependencies and dependents',
    )
    .option(
      '--team <team>',
      'only those owned by this group, as team-payments or group:default/team-payments',
    )
    .option('--lifecycle <stage>', 'only those in this lifecycle stage')
    .option(
      '--type <type>',
      `only Components of this spec.type; ${ALL_TYPES} for every type`,
      'service',
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
The JSON output is a list of services, each as platform services show prints it.

Examples:
  platform services ls --team team-checkout
  platform services ls --lifecycle production -o json | jq -r '.[].ref'`,
    )
    .action(
      async (options: {
        team?: string;
        lifecycle?: string;
        type: string;
        output: OutputFormat;
      }) => {
        const owner =
          options.team &&
          stringifyEntityRef(
            parseEntityRef(options.team, {
              defaultKind: 'group',
              defaultNamespace: 'default',
            }),
          );
        const found = await withCatalog((catalog, token) =>
          listServices({
            catalog,
            token,
            filters: {
              type: options.type === ALL_TYPES ? undefined : options.type,
              owner,
              lifecycle: options.lifecycle,
            },
          }),
        );
        printOutput(options.output, found, printServiceTable);
      },
    );

  services
    .command('show')
    .description(
      'Show one service: owner, lifecycle, type, repository, typed dependencies, dependents and blast radius',
    )
    .argument(
      '<name>',
      'the service, as payments or component:default/payments',
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
JSON fields: ref, name, namespace, title, type, lifecycle, owner, repository,
dependencies (a list of { target, type, critical }), dependents (a list of
refs), blastRadius (the refs of the services that fail when this one fails,
through chains of critical dependencies, nearest first; the nearest 100) and
blastRadiusTotal (how many fail). Refs are full
entity refs; fields the entity does not set are left out.

Example:
  platform services show checkout -o json`,
    )
    .action(async (name: string, options: { output: OutputFormat }) => {
      const ref = stringifyEntityRef(
        parseEntityRef(name, {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      );
      const details = await withCatalog(async (catalog, token) => {
        const entity = await catalog.getEntityByRef(ref, { token });
        if (!entity) {
          throw new NotFoundError(`The catalog has no ${ref}`);
        }
        // The catalog module walks the critical edges in its database.
        const { blastRadius } = await (
          await PlatformBackend.connect()
        ).request<DependencySummary>('/api/catalog/platform/dependencies', {
          query: { entityRef: ref },
        });
        const summary = toServiceSummary(entity);
        return {
          ...summary,
          blastRadius: blastRadius.items.map(item => item.ref),
          blastRadiusTotal: blastRadius.total,
        };
      });
      printOutput(options.output, details, printServiceDetails);
    });
}
