// Plain-text table printing: columns = [{ key, label, align?, format? }].

function cell(column, row) {
  const value = row[column.key];
  if (column.format) return column.format(value, row);
  if (value === null || value === undefined) return '-';
  return String(value);
}

function renderTable(columns, rows) {
  const header = columns.map((c) => c.label);
  const body = rows.map((row) => columns.map((c) => cell(c, row)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((text, i) => (columns[i].align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i])))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

const fmt = {
  int: (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US')),
  ms: (v) => (v == null ? '-' : v.toFixed(2)),
  ratio: (v) => (v == null ? '-' : `${v.toFixed(2)}x`),
  pct: (v) => (v == null ? '-' : `${Math.round(v * 100)}%`),
};

module.exports = { renderTable, fmt };
