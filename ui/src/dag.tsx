import type { WorkflowStep } from './api';

const NODE_W = 150;
const NODE_H = 40;
const GAP_X = 60;
const GAP_Y = 20;

/** Each step's column: the length of the longest dependency chain leading to it. */
function layers(steps: WorkflowStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle is refused by the server; never loop here either
    seen.add(id);
    const deps = byId.get(id)?.dependsOn ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map((p) => visit(p, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id, new Set());
  return depth;
}

/**
 * A workflow definition as a picture: steps laid out in columns by dependency depth, arrows from
 * each dependency. `status` colours steps by their state in a run.
 */
export function Dag({ steps, status }: { steps: WorkflowStep[]; status?: Record<string, string> }) {
  const depth = layers(steps);
  const columns: string[][] = [];
  for (const s of steps) {
    const c = depth.get(s.id) ?? 0;
    columns[c] = [...(columns[c] ?? []), s.id];
  }
  const pos = new Map<string, { x: number; y: number }>();
  for (const [c, col] of columns.entries()) {
    for (const [r, id] of (col ?? []).entries()) {
      pos.set(id, { x: 10 + c * (NODE_W + GAP_X), y: 10 + r * (NODE_H + GAP_Y) });
    }
  }
  const width = 20 + columns.length * (NODE_W + GAP_X) - GAP_X;
  const height = 20 + Math.max(1, ...columns.map((c) => c?.length ?? 0)) * (NODE_H + GAP_Y) - GAP_Y;
  const label = `Workflow graph: ${steps
    .map(
      (s) =>
        `${s.id}${s.dependsOn?.length ? ` after ${s.dependsOn.join(' and ')}` : ''}${status?.[s.id] ? ` (${status[s.id]})` : ''}`,
    )
    .join('; ')}`;
  return (
    <svg
      class="dag"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={label}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
        </marker>
      </defs>
      {steps.flatMap((s) =>
        (s.dependsOn ?? []).map((d) => {
          const a = pos.get(d);
          const b = pos.get(s.id);
          if (!a || !b) return null;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          const x2 = b.x;
          const y2 = b.y + NODE_H / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${d}-${s.id}`}
              class="edge"
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              marker-end="url(#arrow)"
            />
          );
        }),
      )}
      {steps.map((s) => {
        const p = pos.get(s.id)!;
        const state = status?.[s.id];
        return (
          <g key={s.id} class={`node ${state ? `node-${state}` : ''}`} transform={`translate(${p.x},${p.y})`}>
            <rect width={NODE_W} height={NODE_H} rx="6" />
            <text x={NODE_W / 2} y={state ? 17 : 25} text-anchor="middle">
              {s.id}
            </text>
            {state && (
              <text x={NODE_W / 2} y={32} text-anchor="middle" class="node-state">
                {state}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
