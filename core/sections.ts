/** A headed section of Markdown text: its heading's text (offsets, without the marks), and the range it covers. */
export interface Section {
  heading: { start: number; end: number };
  start: number;
  end: number;
}

const HEADING_LINE = /^([ \t]*)(#+)[ \t]+(.*?)[ \t#]*$/;

/**
 * The text's sibling sections: those under the deepest heading level that has two headings or more
 * ("## Added", "## Fixed", "## Removed" under "# Release 4.2"), each from its heading line to the next
 * heading of its level or above. A text with fewer than two such headings has none.
 */
export function sectionsOf(text: string): Section[] {
  const headings: { level: number; line: number; heading: { start: number; end: number } }[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    const m = HEADING_LINE.exec(line);
    if (m && m[3]) {
      const start = at + m[1].length + m[2].length + line.slice(m[1].length + m[2].length).search(/\S/);
      headings.push({ level: m[2].length, line: at, heading: { start, end: start + m[3].length } });
    }
    at += line.length + 1;
  }
  const levels = [...new Set(headings.map((h) => h.level))].filter((l) => headings.filter((h) => h.level === l).length >= 2);
  if (!levels.length) return [];
  const level = Math.max(...levels);
  return headings.flatMap((h, i) => {
    if (h.level !== level) return [];
    const next = headings.slice(i + 1).find((o) => o.level <= level);
    return [{ heading: h.heading, start: h.line, end: next ? next.line : text.length }];
  });
}
