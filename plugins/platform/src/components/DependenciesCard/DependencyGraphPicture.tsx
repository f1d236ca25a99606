import {
  DependencyGraph,
  DependencyGraphTypes,
} from '@backstage/core-components';
import { useTheme } from '@material-ui/core/styles';
import { useMemo } from 'react';
import { DependencyRow, refKey } from '@internal/plugin-platform-common';

/** @public */
export interface DependencyGraphPictureProps {
  entityTitle: string;
  dependencies: DependencyRow[];
  dependents: DependencyRow[];
  /**
   * How many entities depend on it, when `dependents` is only the first
   * page of them.
   */
  dependentsTotal?: number;
}

// A card is narrow: past this many neighbours per side the picture would be
// unreadable, and the tables below list everything anyway.
const MAX_PER_SIDE = 6;
const NODE_WIDTH = 150;
const NODE_HEIGHT = 28;
// A ref the catalog does not know takes a second line that says so.
const MISSING_NODE_HEIGHT = 40;
const ENTITY_ID = 'entity';

type PictureNode = DependencyGraphTypes.DependencyNode<
  | { kind: 'entity'; label: string }
  | {
      kind: 'neighbour';
      label: string;
      ref: string;
      critical: boolean;
      missing: boolean;
    }
  | { kind: 'more'; label: string; hint: string }
>;

interface Link {
  type: string;
  critical: boolean;
}

type PictureEdge = DependencyGraphTypes.DependencyEdge<{ links: Link[] }>;

type Side = 'dependency' | 'dependent';

function truncate(text: string): string {
  return text.length > 20 ? `${text.slice(0, 19)}…` : text;
}

function linkText(link: Link): string {
  return link.critical ? `${link.type}, critical` : link.type;
}

/**
 * One node per neighbour on one side of the entity, with one edge that
 * carries every way the two are linked (the layout draws a single edge per
 * pair of nodes), and a "+N more" node past the cap or for the neighbours
 * `total` counts beyond those in `rows`.
 */
function placeSide(rows: DependencyRow[], side: Side, total?: number) {
  const neighbours = new Map<string, { row: DependencyRow; links: Link[] }>();
  for (const row of rows) {
    const key = refKey(row.ref);
    const link = { type: row.type, critical: row.critical };
    const existing = neighbours.get(key);
    if (existing) {
      existing.links.push(link);
    } else {
      neighbours.set(key, { row, links: [link] });
    }
  }

  // Node ids carry the side, so an entity that is both a dependency and a
  // dependent (a cycle) is drawn on both sides, as the tables list it.
  const connect = (id: string, links: Link[]): PictureEdge => {
    const label = links.map(linkText).join(' / ') || undefined;
    return side === 'dependency'
      ? { from: ENTITY_ID, to: id, label, links }
      : { from: id, to: ENTITY_ID, label, links };
  };

  const nodes: PictureNode[] = [];
  const edges: PictureEdge[] = [];
  for (const [key, { row, links }] of [...neighbours].slice(0, MAX_PER_SIDE)) {
    const id = `${side}:${key}`;
    nodes.push({
      id,
      kind: 'neighbour',
      label: row.node?.title ?? row.ref,
      ref: row.ref,
      critical: links.some(link => link.critical),
      missing: !row.node,
    });
    edges.push(connect(id, links));
  }
  const neighbourCount = Math.max(total ?? 0, neighbours.size);
  const hidden = neighbourCount - nodes.length;
  if (hidden > 0) {
    const id = `${side}:more`;
    nodes.push({
      id,
      kind: 'more',
      label: `+${hidden} more`,
      hint: `${hidden} more ${
        side === 'dependency' ? 'dependencies' : 'dependents'
      }: see the table below`,
    });
    edges.push(connect(id, []));
  }
  return { nodes, edges, count: neighbourCount };
}

function NodeView(props: { node: PictureNode }) {
  const { node } = props;
  const theme = useTheme();
  if (node.kind === 'entity') {
    return (
      <g>
        <rect
          width={NODE_WIDTH}
          height={NODE_HEIGHT}
          rx={4}
          fill={theme.palette.primary.main}
        />
        <text
          x={NODE_WIDTH / 2}
          y={NODE_HEIGHT / 2 + 4}
          textAnchor="middle"
          fontSize={12}
          fontWeight="bold"
          fill={theme.palette.primary.contrastText}
        >
          {truncate(node.label)}
        </text>
      </g>
    );
  }
  if (node.kind === 'more') {
    return (
      <g>
        <title>{node.hint}</title>
        <rect
          x={1}
          y={1}
          width={NODE_WIDTH - 2}
          height={NODE_HEIGHT - 2}
          rx={4}
          fill={theme.palette.background.default}
          stroke={theme.palette.divider}
        />
        <text
          x={NODE_WIDTH / 2}
          y={NODE_HEIGHT / 2 + 4}
          textAnchor="middle"
          fontSize={12}
          fontStyle="italic"
          fill={theme.palette.text.secondary}
        >
          {node.label}
        </text>
      </g>
    );
  }
  const height = node.missing ? MISSING_NODE_HEIGHT : NODE_HEIGHT;
  return (
    <g>
      <title>{node.ref}</title>
      <rect
        x={1}
        y={1}
        width={NODE_WIDTH - 2}
        height={height - 2}
        rx={4}
        fill={theme.palette.background.paper}
        // A critical neighbour is outlined in the error colour, as its edge
        // label is, since the layout draws every edge alike.
        stroke={
          node.critical
            ? theme.palette.error.main
            : theme.palette.text.secondary
        }
        strokeWidth={node.critical ? 2 : 1}
        strokeDasharray={node.missing ? '4 3' : undefined}
      />
      <text
        x={NODE_WIDTH / 2}
        y={NODE_HEIGHT / 2 + 4}
        textAnchor="middle"
        fontSize={12}
        fill={theme.palette.text.primary}
      >
        {truncate(node.label)}
      </text>
      {node.missing && (
        <text
          x={NODE_WIDTH / 2}
          y={NODE_HEIGHT + 5}
          textAnchor="middle"
          fontSize={10}
          fill={theme.palette.error.main}
        >
          not in the catalog
        </text>
      )}
    </g>
  );
}

function LabelView(props: { edge: PictureEdge }) {
  const theme = useTheme();
  return (
    <text
      y={-3}
      textAnchor="middle"
      fontSize={10}
      // A halo in the card colour keeps the label readable over the lines.
      stroke={theme.palette.background.paper}
      strokeWidth={3}
      paintOrder="stroke"
    >
      {props.edge.links.map((link, i) => (
        <tspan
          key={`${link.type} ${i}`}
          fill={
            link.critical
              ? theme.palette.error.main
              : theme.palette.text.secondary
          }
          fontWeight={link.critical ? 'bold' : undefined}
        >
          {i > 0 ? ` / ${linkText(link)}` : linkText(link)}
        </tspan>
      ))}
    </text>
  );
}

function renderNode(props: DependencyGraphTypes.RenderNodeProps<PictureNode>) {
  return <NodeView node={props.node} />;
}

function renderLabel(
  props: DependencyGraphTypes.RenderLabelProps<PictureEdge>,
) {
  return <LabelView edge={props.edge} />;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Who depends on the entity (left), the entity (middle) and what it depends
 * on (right), laid out by core-components' `DependencyGraph`. Edge labels
 * name the dependency types; critical ones, and the neighbours they link,
 * are drawn in the error colour. A dashed box is a ref the catalog does not
 * know.
 */
export function DependencyGraphPicture(props: DependencyGraphPictureProps) {
  const { entityTitle, dependencies, dependents, dependentsTotal } = props;
  const graph = useMemo(() => {
    const left = placeSide(dependents, 'dependent', dependentsTotal);
    const right = placeSide(dependencies, 'dependency');
    const entity: PictureNode = {
      id: ENTITY_ID,
      kind: 'entity',
      label: entityTitle,
    };
    return {
      nodes: [...left.nodes, entity, ...right.nodes],
      edges: [...left.edges, ...right.edges],
      description: `Dependency graph of ${entityTitle}: ${count(
        left.count,
        'dependent',
        'dependents',
      )}, ${count(right.count, 'dependency', 'dependencies')}`,
    };
  }, [entityTitle, dependencies, dependents, dependentsTotal]);

  return (
    <DependencyGraph<PictureNode, PictureEdge>
      role="img"
      aria-label={graph.description}
      nodes={graph.nodes}
      edges={graph.edges}
      renderNode={renderNode}
      renderLabel={renderLabel}
      direction={DependencyGraphTypes.Direction.LEFT_RIGHT}
      labelPosition={DependencyGraphTypes.LabelPosition.CENTER}
      nodeMargin={12}
      rankMargin={60}
      paddingX={4}
      paddingY={4}
      showArrowHeads
      // The picture sits in a card on a scrolling page: the wheel must scroll
      // the page, and a dozen nodes need neither zoom nor a full screen.
      zoom="disabled"
      allowFullscreen={false}
    />
  );
}
