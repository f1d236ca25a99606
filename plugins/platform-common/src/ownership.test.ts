import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
  parseOwnership,
  readOwnership,
  readRepositoryUrl,
} from './ownership';

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'team' },
  };
}

describe('parseOwnership', () => {
  it('reads the three ownership URLs', () => {
    const entity = component({
      [ANNOTATION_ON_CALL_URL]: 'https://oncall.example.com/rotations/payments',
      [ANNOTATION_DOCS_URL]: 'http://docs.example.com/payments',
      [ANNOTATION_REPOSITORY_URL]: 'https://git.example.com/org/payments',
    });

    expect(parseOwnership(entity)).toEqual({
      ownership: {
        onCallUrl: 'https://oncall.example.com/rotations/payments',
        docsUrl: 'http://docs.example.com/payments',
        repositoryUrl: 'https://git.example.com/org/payments',
      },
      problems: [],
    });
  });

  it('returns nothing for an entity without ownership annotations', () => {
    expect(parseOwnership(component({}))).toEqual({
      ownership: {},
      problems: [],
    });
  });

  it.each([
    ['a relative path', '/docs/payments'],
    ['a bare host name', 'docs.example.com'],
    ['a data URL', 'data:text/html,<h1>docs</h1>'],
    ['an empty string', ''],
  ])('rejects %s and keeps the valid URLs', (_case, value) => {
    const entity = component({
      [ANNOTATION_DOCS_URL]: value,
      [ANNOTATION_REPOSITORY_URL]: 'https://git.example.com/org/payments',
    });

    expect(parseOwnership(entity)).toEqual({
      ownership: { repositoryUrl: 'https://git.example.com/org/payments' },
      problems: [
        {
          message: `Annotation platform.internal/docs-url of component:default/payments is ${JSON.stringify(
            value,
          )}, which is not an absolute http or https URL`,
          path: ['metadata', 'annotations', 'platform.internal/docs-url'],
        },
      ],
    });
    expect(readOwnership(entity)).toEqual({
      repositoryUrl: 'https://git.example.com/org/payments',
    });
  });
});

describe('readRepositoryUrl', () => {
  const sourceLocation = 'backstage.io/source-location';

  it('prefers the declared repository to where the catalog read the entity', () => {
    expect(
      readRepositoryUrl(
        component({
          [ANNOTATION_REPOSITORY_URL]: 'https://git.example.com/org/payments',
          [sourceLocation]: 'url:http://127.0.0.1:7070/org/payments/tree/main/',
        }),
      ),
    ).toBe('https://git.example.com/org/payments');
  });

  it('falls back to the web page the catalog read the entity from', () => {
    expect(
      readRepositoryUrl(
        component({
          [sourceLocation]: 'url:http://127.0.0.1:7070/org/payments/tree/main/',
        }),
      ),
    ).toBe('http://127.0.0.1:7070/org/payments/tree/main/');
  });

  it.each([
    ['a file location', 'file:/catalog/payments/'],
    ['a non-web url location', 'url:javascript:alert(1)'],
    ['no location ref at all', 'payments'],
  ])('gives nothing for %s', (_case, value) => {
    expect(
      readRepositoryUrl(component({ [sourceLocation]: value })),
    ).toBeUndefined();
  });
});
