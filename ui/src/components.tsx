import type { ComponentChildren, JSX } from 'preact';
import type { ApiError } from './api';
import { BASE, navigate } from './router';

/** An in-app link: a real href (open in new tab, copy link) that navigates without a reload. */
export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page';
}) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={`${BASE}${props.to}`} onClick={onClick} class={props.class} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

export function ErrorNote({ error }: { error?: ApiError }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message} <span class="code">({error.code})</span>
    </p>
  );
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value}`}>{value}</span>;
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return <time dateTime={at}>{d.toLocaleString()}</time>;
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    // A scrolling box: focusable so keyboard users can scroll it (axe: scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard
    <section class="json" aria-label={label} tabIndex={0}>
      <pre>{value === undefined || value === null ? '—' : JSON.stringify(value, null, 2)}</pre>
    </section>
  );
}

/** A labelled form control: the label wraps its input, so every field has an accessible name. */
export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control arrives as `children`, inside the label
    <label class="field">
      <span class="label">{props.label}</span>
      {props.children}
      {props.hint && <span class="hint">{props.hint}</span>}
    </label>
  );
}

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      <div class="actions">{props.children}</div>
    </header>
  );
}

/** A button that shows and hides a form below it (`aria-expanded` says which). */
export function Disclosure(props: {
  open: boolean;
  onToggle: (open: boolean) => void;
  primary?: boolean;
  children: ComponentChildren;
}) {
  return (
    <button
      type="button"
      class={props.primary ? 'primary' : undefined}
      onClick={() => props.onToggle(!props.open)}
      aria-expanded={props.open}
    >
      {props.children}
    </button>
  );
}

export function Section(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted">{children}</p>;
}

/**
 * A page's list: the `empty` text when there are no items, a table otherwise — a caption for
 * screen readers, a header per column (an empty label is read out as "Actions"), a row per item,
 * then `footer` (a pager). Nothing while the items load.
 */
export function ListTable<T>(props: {
  caption: string;
  empty: string;
  columns: string[];
  items: T[] | undefined;
  row: (item: T) => JSX.Element;
  footer?: ComponentChildren;
}) {
  const { items } = props;
  if (!items) return null;
  if (items.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((label) => (
              <th scope="col" key={label}>
                {label || <span class="sr-only">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{items.map(props.row)}</tbody>
      </table>
      {props.footer}
    </>
  );
}

export function Pager(props: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}) {
  const { offset, limit, total } = props;
  if (total <= limit) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => props.onChange(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + limit, total)} of {total}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => props.onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/** A small SVG line chart (no chart library: the data are a few dozen points). */
export function LineChart(props: { title: string; points: number[]; unit?: string }) {
  const { points } = props;
  const w = 320;
  const h = 100;
  const max = Math.max(1, ...points);
  const step = points.length > 1 ? w / (points.length - 1) : w;
  const d = points
    .map(
      (v, i) => `${i === 0 ? 'M' : 'L'}${(i * step).toFixed(1)},${(h - (v / max) * (h - 8) - 4).toFixed(1)}`,
    )
    .join(' ');
  const last = points.length ? points[points.length - 1] : 0;
  return (
    <figure class="chart">
      <figcaption>
        {props.title}: <strong>{formatNumber(last)}</strong>
        {props.unit ? ` ${props.unit}` : ''}
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${props.title}, latest ${formatNumber(last)}`}>
        <line x1="0" y1={h - 4} x2={w} y2={h - 4} class="axis" />
        {points.length > 1 && <path d={d} class="line" />}
      </svg>
    </figure>
  );
}

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function Confirm(
  props: JSX.HTMLAttributes<HTMLButtonElement> & { question: string; onConfirm: () => void },
) {
  const { question, onConfirm, children, ...rest } = props;
  return (
    <button
      type="button"
      {...rest}
      onClick={() => {
        if (window.confirm(question)) onConfirm();
      }}
    >
      {children}
    </button>
  );
}
