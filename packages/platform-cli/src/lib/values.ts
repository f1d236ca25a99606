import { InputError } from '@backstage/errors';
import { JsonObject, JsonValue } from '@backstage/types';

/** The `--set`, `--set-json` and `--set-string` options, as given. */
export interface ValueOptions {
  set: string[];
  setJson: string[];
  setString: string[];
}

function splitAssignment(flag: string, assignment: string): [string, string] {
  const at = assignment.indexOf('=');
  if (at <= 0) {
    throw new InputError(
      `${flag} ${JSON.stringify(assignment)} is not KEY=VALUE`,
    );
  }
  return [assignment.slice(0, at), assignment.slice(at + 1)];
}

/**
 * The template's values from the options: `--set` reads a value as JSON
 * when it is JSON (`true`, `3`, `["a"]`) and as a string otherwise,
 * `--set-json` insists on JSON and `--set-string` never parses. A key given
 * twice is refused: with three options there is no order to say which
 * one was meant.
 */
export function parseValueOptions(options: ValueOptions): JsonObject {
  const values: JsonObject = {};
  const assign = (
    flag: string,
    assignments: string[],
    read: (key: string, text: string) => JsonValue,
  ) => {
    for (const assignment of assignments) {
      const [key, text] = splitAssignment(flag, assignment);
      if (key in values) {
        throw new InputError(`${key} is set more than once`);
      }
      values[key] = read(key, text);
    }
  };
  assign('--set', options.set, (_key, text) => {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  });
  assign('--set-json', options.setJson, (key, text) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError(
        `--set-json ${key}: ${JSON.stringify(text)} is not valid JSON`,
      );
    }
  });
  assign('--set-string', options.setString, (_key, text) => text);
  return values;
}

/**
 * The values with each top-level parameter the user left out set to its
 * default, as the template's form fills them in: the scaffolder itself
 * applies no defaults, and a template reads `parameters.language` as it is.
 */
export function withTemplateDefaults(
  values: JsonObject,
  steps: Array<{ schema: JsonObject }>,
): JsonObject {
  const filled = { ...values };
  for (const { schema } of steps) {
    const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
    for (const [key, property] of Object.entries(properties)) {
      if (!(key in filled) && property.default !== undefined) {
        filled[key] = property.default;
      }
    }
  }
  return filled;
}
