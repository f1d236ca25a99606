import { act, screen } from '@testing-library/react';

/**
 * DependencyGraph sizes nodes and labels with SVG `getBBox`, which jsdom does
 * not implement; any fixed size lets dagre lay the picture out. Call it at the
 * top of a test file: the mock is removed after that file's tests.
 */
export function mockSvgMeasurement() {
  beforeAll(() => {
    Object.defineProperty(window.SVGElement.prototype, 'getBBox', {
      value: () => ({ x: 0, y: 0, width: 150, height: 28 }),
      configurable: true,
    });
  });
  afterAll(() => {
    delete (window.SVGElement.prototype as any).getBBox;
  });
}

/**
 * Finds the dependency picture once DependencyGraph shows it: the graph stays
 * hidden until its layout settles. Once it has measured its nodes it lays
 * them out again in a microtask, which no event wraps in act(); awaiting act()
 * first lets that update land inside it. Call it right after rendering, with
 * nothing awaited in between.
 */
export async function findDependencyGraphPicture(
  name: RegExp = /^Dependency graph of /,
): Promise<HTMLElement> {
  await act(async () => {});
  return screen.findByRole('img', { name });
}
