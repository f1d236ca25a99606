import { useTheme } from '@material-ui/core/styles';
import { DependencyRow } from '../../lib/dependencyGraph';

/** @public */
export interface DependencyGraphPictureProps {
  entityTitle: string;
  dependencies: DependencyRow[];
  dependents: DependencyRow[];
}

// A card is narrow: past this many neighbours per side the picture would be
// unreadable, and the tables below list everything anyway.
const MAX_PER_SIDE = 6;
const WIDTH = 720;
const NODE_WIDTH = 150;
const NODE_HEIGHT = 28;
const ROW_HEIGHT = 40;
const LEFT_X = 0;
const CENTER_X = (WIDTH - NODE_WIDTH) / 2;
const RIGHT_X = WIDTH - NODE_WIDTH;

interface PlacedNode {
  key: string;
  label: string;
  y: number;
  critical: boolean;
  missing: boolean;
  edgeLabel: string;
}

function place(rows: DependencyRow[], height: number): PlacedNode[] {
  const shown = rows.slice(0, MAX_PER_SIDE).map(row => ({
    key: `${row.ref} ${row.type}`,
    label: row.node?.title ?? row.ref,
    critical: row.critical,
    missing: !row.node,
    edgeLabel: row.type,
  }));
  const hidden = rows.length - shown.length;
  const all =
    hidden > 0
      ? [
          ...shown,
          {
            key: 'more',
            label: `+${hidden} more`,
            critical: false,
            missing: false,
            edgeLabel: '',
          },
        ]
      : shown;
  const top = (height - all.length * ROW_HEIGHT) / 2;
  return all.map((node, i) => ({
    ...node,
    y: top + i * ROW_HEIGHT + (ROW_HEIGHT - NODE_HEIGHT) / 2,
  }));
}

function truncate(text: string): string {
  return text.length > 20 ? `${text.slice(0, 19)}…` : text;
}

/**
 * Who depends on the entity (left), the entity (middle) and what it depends
 * on (right). Critical edges are solid and red, others dashed; a dashed box
 * is a ref the catalog does not know.
 */
export function DependencyGraphPicture(props: DependencyGraphPictureProps) {
  const theme = useTheme();
  const { entityTitle, dependencies, dependents } = props;
  const rows = Math.max(
    1,
    Math.min(dependencies.length, MAX_PER_SIDE + 1),
    Math.min(dependents.length, MAX_PER_SIDE + 1),
  );
  const height = rows * ROW_HEIGHT;
  const centerY = (height - NODE_HEIGHT) / 2;
  const left = place(dependents, height);
  const right = place(dependencies, height);

  // Labels sit near the outer node, where the edges have spread apart;
  // `labelAt` is the fraction of the way from `from` to `to`.
  const edge = (
    node: PlacedNode,
    from: { x: number; y: number },
    to: { x: number; y: number },
    labelAt: number,
  ) => (
    <g key={`edge-${from.x}-${node.key}`}>
      <line
        x1={from.x}
        y1={from.y}
        x2={to.x}
        y2={to.y}
        stroke={
          node.critical ? theme.palette.error.main : theme.palette.text.hint
        }
        strokeWidth={node.critical ? 2.5 : 1.5}
        strokeDasharray={node.critical ? undefined : '5 4'}
        markerEnd={`url(#platform-dependency-arrow-${
          node.critical ? 'critical' : 'plain'
        })`}
      />
      {node.edgeLabel && (
        <text
          x={from.x + (to.x - from.x) * labelAt}
          y={from.y + (to.y - from.y) * labelAt - 4}
          textAnchor="middle"
          fontSize={10}
          fill={theme.palette.text.secondary}
          // A halo in the card colour keeps the label readable over the lines.
          stroke={theme.palette.background.paper}
          strokeWidth={3}
          paintOrder="stroke"
        >
          {node.critical ? `${node.edgeLabel}, critical` : node.edgeLabel}
        </text>
      )}
    </g>
  );

  const box = (node: PlacedNode, x: number) => (
    <g key={`node-${x}-${node.key}`}>
      <rect
        x={x + 1}
        y={node.y}
        width={NODE_WIDTH - 2}
        height={NODE_HEIGHT}
        rx={4}
        fill={theme.palette.background.paper}
        stroke={theme.palette.text.secondary}
        strokeDasharray={node.missing ? '4 3' : undefined}
      />
      <text
        x={x + NODE_WIDTH / 2}
        y={node.y + NODE_HEIGHT / 2 + 4}
        textAnchor="middle"
        fontSize={12}
        fill={theme.palette.text.primary}
      >
        {truncate(node.label)}
      </text>
    </g>
  );

  const centerMiddle = centerY + NODE_HEIGHT / 2;
  return (
    <svg
      role="img"
      aria-label={`Dependency graph of ${entityTitle}: ${dependents.length} dependents, ${dependencies.length} dependencies`}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width="100%"
      style={{ maxWidth: WIDTH }}
    >
      <defs>
        {[
          ['critical', theme.palette.error.main],
          ['plain', theme.palette.text.hint],
        ].map(([id, color]) => (
          <marker
            key={id}
            id={`platform-dependency-arrow-${id}`}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill={color} />
          </marker>
        ))}
      </defs>
      {left.map(node =>
        edge(
          node,
          { x: LEFT_X + NODE_WIDTH, y: node.y + NODE_HEIGHT / 2 },
          { x: CENTER_X, y: centerMiddle },
          0.35,
        ),
      )}
      {right.map(node =>
        edge(
          node,
          { x: CENTER_X + NODE_WIDTH, y: centerMiddle },
          { x: RIGHT_X, y: node.y + NODE_HEIGHT / 2 },
          0.65,
        ),
      )}
      {left.map(node => box(node, LEFT_X))}
      {right.map(node => box(node, RIGHT_X))}
      <rect
        x={CENTER_X}
        y={centerY}
        width={NODE_WIDTH}
        height={NODE_HEIGHT}
        rx={4}
        fill={theme.palette.primary.main}
      />
      <text
        x={CENTER_X + NODE_WIDTH / 2}
        y={centerY + NODE_HEIGHT / 2 + 4}
        textAnchor="middle"
        fontSize={12}
        fontWeight="bold"
        fill={theme.palette.primary.contrastText}
      >
        {truncate(entityTitle)}
      </text>
    </svg>
  );
}
