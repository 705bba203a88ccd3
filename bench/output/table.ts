/** The one plain-text table renderer: header, a rule, rows; columns as wide as their widest cell. */
export function renderTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  align: 'left' | 'numbers' = 'left',
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // 'numbers': the first column (a name) to the left, the rest to the right.
  const pad = (cell: string, i: number): string =>
    align === 'numbers' && i > 0 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => pad(c, i))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}
