import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../__testUtils__/runCli';

const fixtures = resolve(__dirname, '../__fixtures__');

describe('platform validate', () => {
  it('exits 0 and prints no problem for valid files', async () => {
    const result = await runCli(['validate', 'good.yaml'], { cwd: fixtures });

    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Checked 2 entities in 1 file: no problems\n',
    });
  });

  it('exits 1 and prints each problem at the line of its field', async () => {
    const result = await runCli(['validate', 'good.yaml', 'bad.yaml'], {
      cwd: fixtures,
    });

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'bad.yaml:8: Annotation platform.internal/docs-url of component:default/checkout is "docs/checkout", which is not an absolute http or https URL',
      'bad.yaml:11: component:default/checkout has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
      'bad.yaml:14: spec.dependencies[0] of component:default/checkout has the target "payments", which is not an entity ref with a kind such as component:payments',
      'bad.yaml:16: spec.dependencies[1] of component:default/checkout has the type "network"; allowed types are runtime, build, data',
      'bad.yaml:18: spec.dependencies[2] of component:default/checkout has the unknown key "critcal"; allowed keys are target, type, critical',
      "bad.yaml:24: /spec must have required property 'lifecycle' - missingProperty: lifecycle",
      '',
    ]);
    expect(result.stderr).toBe('Checked 4 entities in 2 files: 6 problems\n');
  });

  it('prints the problems as one JSON object with -o json', async () => {
    const result = await runCli(
      ['validate', '-o', 'json', 'good.yaml', 'bad.yaml', 'missing.yaml'],
      { cwd: fixtures },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Checked 4 entities in 3 files: 7 problems\n');
    const report = JSON.parse(result.stdout);
    expect(report.entities).toBe(4);
    expect(report.problems.slice(0, 2)).toEqual([
      {
        file: 'bad.yaml',
        line: 8,
        message:
          'Annotation platform.internal/docs-url of component:default/checkout is "docs/checkout", which is not an absolute http or https URL',
      },
      {
        file: 'bad.yaml',
        line: 11,
        message:
          'component:default/checkout has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
      },
    ]);
    // A file that cannot be read has no line to point at.
    expect(report.problems.slice(6)).toEqual([
      {
        file: 'missing.yaml',
        message: expect.stringMatching(/^Cannot read the file: ENOENT/),
      },
    ]);
  });

  it('prints an empty list of problems as JSON for valid files', async () => {
    const result = await runCli(['validate', 'good.yaml', '-o', 'json'], {
      cwd: fixtures,
    });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ entities: 2, problems: [] });
  });

  it('checks catalog-info.yaml when no file is named', async () => {
    const result = await runCli(['validate'], { cwd: fixtures });

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^catalog-info\.yaml: Cannot read the file: ENOENT/,
    );
  });

  it('reports YAML that does not parse at its line', async () => {
    // Written here rather than kept as a fixture, which would break the
    // repository's prettier check.
    const dir = await mkdtemp(join(tmpdir(), 'platform-cli-'));
    await writeFile(
      join(dir, 'invalid.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nkind: Resource\n',
    );

    const result = await runCli(['validate', 'invalid.yaml'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'invalid.yaml:3: Invalid YAML: Map keys must be unique\n',
    );
  });

  it('takes the allowed lifecycles from --lifecycles', async () => {
    const result = await runCli(
      ['validate', '--lifecycles', 'beta, ga', 'good.yaml'],
      { cwd: fixtures },
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'good.yaml:10: component:default/payments has the lifecycle "production", which is not one of the configured lifecycles: beta, ga\n',
    );
  });

  it('rejects an unusable --lifecycles list in one line', async () => {
    const result = await runCli(
      ['validate', '--lifecycles', 'ga,beta,ga', 'good.yaml'],
      { cwd: fixtures },
    );

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: --lifecycles lists the lifecycle "ga" more than once\n',
    });
  });
});
