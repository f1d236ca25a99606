/**
 * How parsing an entity's typed dependencies grows with their number.
 * Issue #16 found 20,000 dependencies of one entity taking 2 s, growing
 * quadratically. For each size the bench prints the parse time beside a
 * floor measured in the same process on the same input: one pass that puts
 * every target into a Set, which any duplicate check must at least do. A
 * linear parser keeps the same ratio to the floor at every size; a
 * quadratic one's ratio grows with the size.
 */
import { Entity } from '@backstage/catalog-model';
import { parseTypedDependencies } from '@internal/plugin-platform-common';
import { performance } from 'node:perf_hooks';

const SIZES = [5_000, 20_000, 80_000];
const PASSES = 5;

function entityWith(count: number): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'hub' },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team-a',
      dependencies: Array.from({ length: count }, (_, i) => ({
        target: `component:service-${i}`,
        type: 'runtime',
      })),
      dependsOn: Array.from({ length: count }, (_, i) => `resource:db-${i}`),
    },
  };
}

function median(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function main() {
  console.log('dependencies  parse ms  floor ms  parse/floor');
  for (const size of SIZES) {
    const entity = entityWith(size);
    const spec = entity.spec as {
      dependencies: Array<{ target: string }>;
      dependsOn: string[];
    };
    const floor = median(() => {
      const seen = new Set<string>();
      for (const dependency of spec.dependencies) seen.add(dependency.target);
      for (const target of spec.dependsOn) seen.add(target);
      return seen.size;
    });
    const parse = median(() => parseTypedDependencies(entity));
    console.log(
      `${String(size).padStart(12)}  ${parse.toFixed(1).padStart(8)}  ${floor
        .toFixed(1)
        .padStart(8)}  ${(parse / floor).toFixed(1).padStart(11)}`,
    );
  }
}

main();
