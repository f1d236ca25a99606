import { parseEntityRef } from '@backstage/catalog-model';
import { Option } from 'commander';

/** The `-o, --output` option of every command that prints data. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'how to print the result')
    .choices(['table', 'json'])
    .default('table');
}

export type OutputFormat = 'table' | 'json';

/** The value as JSON with `-o json`, otherwise laid out for a person. */
export function printOutput<T>(
  format: OutputFormat,
  value: T,
  forPeople: (value: T) => void,
): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  } else {
    forPeople(value);
  }
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
 * Labelled fields one under the other, the values aligned; a field with
 * several values takes a line for each.
 */
export function printFields(fields: Array<[string, string[]]>): void {
  const width = Math.max(...fields.map(([label]) => label.length)) + 2;
  for (const [label, values] of fields) {
    values.forEach((value, index) => {
      const heading = index === 0 ? `${label}:` : '';
      process.stdout.write(`${`${heading.padEnd(width)}${value}`.trimEnd()}\n`);
    });
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
