/** Small pure helpers every HTML renderer shares: escaping and table rows. */

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a <script> element. */
export const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** A table head: one `<th scope="col">` per (escaped) column name. */
export const thead = (cols: readonly string[]): string =>
  `<thead><tr>${cols.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead>`;

/** A body row: a row header, then cells given as HTML. */
export const row = (name: string, cells: readonly string[]): string =>
  `<tr><th scope="row">${esc(name)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

/** A body row of cells given as HTML, with an optional class per cell. */
export const cellsRow = (cells: ReadonlyArray<string | [html: string, cls: string]>): string =>
  `<tr>${cells.map((c) => (typeof c === 'string' ? `<td>${c}</td>` : `<td class="${c[1]}">${c[0]}</td>`)).join('')}</tr>`;

/** Chart.js's source inside a <script> element, where "</script" must not appear. */
export const inlineScript = (source: string): string =>
  `<script>${source.replace(/<\/script/gi, '<\\/script')}</script>`;
