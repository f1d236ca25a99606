import { TemplateFilterExample } from '@backstage/plugin-scaffolder-node/alpha';

/**
 * Writes a filter example in the shape the template editor shows: a
 * `debug:log` step that applies the filter to `parameters.name`, with the
 * input and the output in the notes. `filters.examples.test.ts` runs each one
 * through the real scaffolder and reads the notes back, so the documentation
 * cannot drift from what the filter does.
 */
export function filterExample(options: {
  filterId: string;
  description: string;
  input: string;
  output: string;
}): TemplateFilterExample {
  const { filterId, description, input, output } = options;
  return {
    description,
    example: `- id: log
  name: ${description}
  action: debug:log
  input:
    message: \${{ parameters.name | ${filterId} }}
`,
    notes: `- **Input**: \`${input}\`
- **Output**: \`${output}\`
`,
  };
}
