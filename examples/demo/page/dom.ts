/** Tiny DOM helpers. Text goes in through `textContent` only, so no key name can inject HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page is missing #${id}`);
  return element as T;
}

export interface Props {
  text?: string;
  className?: string;
  testId?: string;
  /** Any other attributes (`aria-label`, `colspan`, `data-label`…). */
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.text !== undefined) element.textContent = props.text;
  if (props.className !== undefined) element.className = props.className;
  if (props.testId !== undefined) element.dataset.testid = props.testId;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * A button. `label` is its accessible name when the visible text alone would be ambiguous
 * (every row has a "Rename"); it starts with the visible text, so speech input still works.
 */
export function button(
  text: string,
  onClick: () => void,
  options: { testId?: string; label?: string; type?: "button" | "submit" } = {},
): HTMLButtonElement {
  const attrs: Record<string, string> = options.label ? { "aria-label": options.label } : {};
  const element = el("button", {
    text,
    attrs,
    ...(options.testId === undefined ? {} : { testId: options.testId }),
  });
  element.type = options.type ?? "button";
  element.addEventListener("click", onClick);
  return element;
}

/** A date as `2026-11-22 21:04` (UTC, as the column headers say), or a dash. */
export function when(value: string | null): string {
  if (value === null) return "—";
  return new Date(value).toISOString().slice(0, 16).replace("T", " ");
}
