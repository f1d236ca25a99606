import { ServiceNameCheck } from '../../api/PlatformApi';
import {
  describeServiceNameCheck,
  serviceNameCheckRequest,
} from './serviceNameChecks';

describe('serviceNameCheckRequest', () => {
  it('reads the organisation and the cluster from the fields the ui:options name', () => {
    expect(
      serviceNameCheckRequest({
        name: 'payments',
        formData: { service_name: 'payments', org: ' acme ', where: 'prod' },
        uiOptions: {
          githubOwnerField: 'org',
          githubHost: 'ghe.example.com',
          clusterField: 'where',
        },
      }),
    ).toEqual({
      name: 'payments',
      githubOwner: 'acme',
      githubHost: 'ghe.example.com',
      cluster: 'prod',
    });
  });

  it.each([
    ['no ui:options', undefined, { org: 'acme' }],
    ['an empty field', { githubOwnerField: 'org' }, { org: '' }],
    ['a field that is not text', { githubOwnerField: 'org' }, { org: 3 }],
    ['a field not filled in yet', { githubOwnerField: 'org' }, {}],
  ])('asks without an organisation for %s', (_, uiOptions, formData) => {
    expect(
      serviceNameCheckRequest({ name: 'payments', formData, uiOptions })
        .githubOwner,
    ).toBeUndefined();
  });
});

describe('describeServiceNameCheck', () => {
  const request = { name: 'payments', githubOwner: 'acme', cluster: 'prod' };

  it.each([
    [
      'taken',
      'catalog',
      'component:default/payments already exists in the catalog, owned by group:default/team-a; choose another name',
      'Catalog: component:default/payments is taken — component:default/payments already exists in the catalog, owned by group:default/team-a; choose another name',
      'blocked',
    ],
    [
      'denied',
      'github',
      'The github.com credentials may not create repositories in acme',
      'GitHub: acme/payments is not allowed for you — The github.com credentials may not create repositories in acme',
      'blocked',
    ],
    [
      'invalid',
      'github',
      'Owner acme does not exist on github.com',
      'GitHub: Owner acme does not exist on github.com',
      'blocked',
    ],
    [
      'unchecked',
      'kubernetes',
      'Cluster prod did not answer',
      'Cluster prod: not checked — Cluster prod did not answer',
      'unchecked',
    ],
  ] as const)(
    'says why a name is %s in %s',
    (kind, system, message, line, state) => {
      const check: ServiceNameCheck = {
        name: 'payments',
        checks: [
          { system: 'name', free: true },
          { system, free: false, kind, message },
        ],
      };
      const [described] = describeServiceNameCheck({
        check,
        request,
        expectsGithub: true,
      });
      expect(`${described.label}: ${described.text}`).toBe(line);
      expect(described.state).toBe(state);
    },
  );
});
