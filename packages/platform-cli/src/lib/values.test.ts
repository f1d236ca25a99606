import { parseValueOptions, withTemplateDefaults } from './values';

const none = { set: [], setJson: [], setString: [] };

describe('parseValueOptions', () => {
  it.each([
    [{ set: ['name=payments'] }, { name: 'payments' }],
    [{ set: ['public=true', 'replicas=3'] }, { public: true, replicas: 3 }],
    [
      { set: ['owner=group:default/team-a'] },
      { owner: 'group:default/team-a' },
    ],
    [{ set: ['query=a=b'] }, { query: 'a=b' }],
    [{ set: ['empty='] }, { empty: '' }],
    [
      { setJson: ['dependencies=[{"target":"component:a","type":"build"}]'] },
      { dependencies: [{ target: 'component:a', type: 'build' }] },
    ],
    [
      { setString: ['version=1.0', 'flag=true'] },
      { version: '1.0', flag: 'true' },
    ],
  ])('reads %j', (options, values) => {
    expect(parseValueOptions({ ...none, ...options })).toEqual(values);
  });

  it.each([
    [{ set: ['name'] }, '--set "name" is not KEY=VALUE'],
    [{ set: ['=x'] }, '--set "=x" is not KEY=VALUE'],
    [{ setJson: ['list=[a]'] }, '--set-json list: "[a]" is not valid JSON'],
    [{ set: ['name=a'], setString: ['name=b'] }, 'name is set more than once'],
  ])('refuses %j', (options, message) => {
    expect(() => parseValueOptions({ ...none, ...options })).toThrow(message);
  });
});

describe('withTemplateDefaults', () => {
  it("fills in each top-level parameter's default that was not given", () => {
    const steps = [
      {
        schema: {
          properties: {
            name: { type: 'string' },
            language: { type: 'string', default: 'go' },
          },
        },
      },
      {
        schema: { properties: { public: { type: 'boolean', default: false } } },
      },
      { schema: {} },
    ];
    expect(withTemplateDefaults({ name: 'a', public: true }, steps)).toEqual({
      name: 'a',
      language: 'go',
      public: true,
    });
  });
});
