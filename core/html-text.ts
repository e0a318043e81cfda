import { convert, type DomNode, type FormatCallback } from 'html-to-text';

/**
 * An HTML page's text, its structure written as the Markdown the service reads (core/text-blocks.ts):
 * headings as "#" lines, tables as pipe rows (html-to-text's own layout glued cells together:
 * "ticketpriceSingle1.80 euros"), a definition list as "term: definition" field lines; list items keep
 * html-to-text's " * " and " 1. " markers. No script, style, image, navigation or link target.
 */
export function htmlToText(raw: string): string {
  const headings = [1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: 'markdownHeading', options: { level } }));
  return convert(raw, {
    wordwrap: false,
    formatters: { markdownHeading, markdownTable, definitionList },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'table', format: 'markdownTable' },
      { selector: 'dl', format: 'definitionList' },
      ...headings,
    ],
  }).trim();
}

const tags = (node: DomNode, names: string[]) => node.children.filter((c) => c.type === 'tag' && names.includes(c.name ?? ''));

/** Whether a node holds any text but spaces. */
const hasText = (node: DomNode): boolean => (node.type === 'text' ? /\S/.test(node.data ?? '') : (node.children ?? []).some(hasText));

/** A heading as its "#" marks and its text; an empty heading is left out. */
const markdownHeading: FormatCallback = (elem, walk, builder, options) => {
  if (!hasText(elem)) return;
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(`${'#'.repeat((options as { level?: number }).level ?? 1)} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

/** A table as Markdown pipe rows, a header separator after a first row of header cells; a cell's line breaks become spaces. */
const markdownTable: FormatCallback = (elem, walk, builder) => {
  const rows = (node: DomNode): DomNode[] => tags(node, ['tr', 'thead', 'tbody', 'tfoot']).flatMap((c) => (c.name === 'tr' ? [c] : rows(c)));
  const trs = rows(elem);
  const firstCells = trs.length ? tags(trs[0], ['td', 'th']) : [];
  const headerRow = firstCells.length > 0 && firstCells.every((c) => c.name === 'th');
  for (const caption of tags(elem, ['caption'])) {
    builder.openBlock({ leadingLineBreaks: 2 });
    walk(caption.children, builder);
    builder.closeBlock({ trailingLineBreaks: 1 });
  }
  builder.openTable();
  for (const tr of trs) {
    builder.openTableRow();
    for (const cell of tags(tr, ['td', 'th'])) {
      builder.openTableCell();
      walk(cell.children, builder);
      builder.closeTableCell({ colspan: Number(cell.attribs?.colspan) || 1 });
    }
    builder.closeTableRow();
  }
  builder.closeTable({
    tableToString: (table) => {
      const lines = table.map((row) => `| ${row.flatMap((c) => [c.text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim(), ...Array(c.colspan - 1).fill('')]).join(' | ')} |`);
      if (headerRow && lines.length) lines.splice(1, 0, `|${table[0].flatMap((c) => Array(c.colspan).fill('---')).join('|')}|`);
      return lines.join('\n');
    },
    leadingLineBreaks: 2,
    trailingLineBreaks: 2,
  });
};

/** A definition list as field lines ("term: definition"), one per definition; a term with no definition is a line of its own. */
const definitionList: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  const line = (parts: DomNode[][]) => {
    builder.openBlock({ leadingLineBreaks: 1 });
    parts.forEach((children, i) => {
      if (i) builder.addLiteral(': ');
      walk(children, builder);
    });
    builder.closeBlock({ trailingLineBreaks: 1 });
  };
  let term: DomNode | null = null;
  let defined = false;
  for (const child of tags(elem, ['dt', 'dd'])) {
    if (child.name === 'dt') {
      if (term && !defined) line([term.children]);
      [term, defined] = [child, false];
    } else {
      line(term ? [term.children, child.children] : [child.children]);
      defined = true;
    }
  }
  if (term && !defined) line([term.children]);
  builder.closeBlock({ trailingLineBreaks: 2 });
};
