/** Tiny DOM helpers. Text goes in through `textContent` only, so no key name can inject HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page is missing #${id}`);
  return element as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; testId?: string; title?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.text !== undefined) element.textContent = props.text;
  if (props.className !== undefined) element.className = props.className;
  if (props.testId !== undefined) element.dataset.testid = props.testId;
  if (props.title !== undefined) element.title = props.title;
  element.append(...children);
  return element;
}

export function button(text: string, onClick: () => void, testId?: string): HTMLButtonElement {
  const element = el("button", { text, ...(testId === undefined ? {} : { testId }) });
  element.type = "button";
  element.addEventListener("click", onClick);
  return element;
}

/** A date as `2026-11-22 21:04 UTC`, or a dash. */
export function when(value: string | null): string {
  if (value === null) return "—";
  return `${new Date(value).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
