// DOM building with textContent only (never innerHTML): every value shown is user or warehouse data.
export type Child = Node | string;

export function h(
  tag: string,
  attrs: Record<string, string | boolean> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children);
  return el;
}

export function button(
  label: string,
  attrs: Record<string, string | boolean>,
  onClick: () => void,
): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label) as HTMLButtonElement;
  b.addEventListener('click', onClick);
  return b;
}
