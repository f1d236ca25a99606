import { parseEntityRef } from '@backstage/catalog-model';
import { Option } from 'commander';

/** The `-o, --output` option of the commands that print catalog data. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'how to print the result')
    .choices(['table', 'json'])
    .default('table');
}

export type OutputFormat = 'table' | 'json';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell, two spaces apart. */
export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map(row => row[column].length)),
  );
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column]),
    );
    process.stdout.write(`${cells.join('  ')}\n`);
  }
}

/**
 * A ref as a person would write it: without the kind the column implies and
 * without the default namespace.
 */
export function shortRef(ref: string, impliedKind: string): string {
  const { kind, namespace, name } = parseEntityRef(ref);
  const prefix =
    kind.toLocaleLowerCase('en-US') === impliedKind ? '' : `${kind}:`;
  return namespace === 'default'
    ? `${prefix}${name}`
    : `${prefix}${namespace}/${name}`;
}
