/** A heading line's opening ("# ", "## "), as a regular expression's source: "#1" or "#tag" opens none. */
export const HEADING = String.raw`[ \t]*#+[ \t]`;

/** A list item's opening ("- ", "* ", "+ ", "• ", "1. ", "1) "), as a regular expression's source. */
export const LIST_ITEM = String.raw`[ \t]*(?:[-*+•]|\d+[.)])[ \t]`;

/**
 * A table row's opening, as a regular expression's source: a Markdown pipe row ("| Saturday | 10:00-14:00 |"),
 * or one written without its outer pipes, as GitHub's Markdown allows: a "|" with spaces on both sides after
 * the row's first cell ("Saturday | 10:00-14:00"), or a header's delimiter row ("---|---", ":--- | ---:").
 */
export const TABLE_ROW = String.raw`(?:[ \t]*\||[^\n|]*[^\s|][ \t]+\|[ \t]|[ \t]*:?-+:?[ \t]*\|)`;

/**
 * A field's line, as a regular expression's source (unicode): a key of at most three words, a colon and a
 * space, then its value ("Status: Open", "Reported by: Acme", "Release date: 15 January 2027"); the key
 * may be set in bold ("**Status:** Open", "__Status__: Open").
 */
export const FIELD = String.raw`[ \t]*(?:\*\*|__)?\p{L}[\p{L}\p{N}'’&/().-]*(?:[ \t][\p{L}\p{N}'’&/().-]+){0,2}(?:\*\*|__)?:(?:\*\*|__)?[ \t]+\S`;

/**
 * Structured text (Markdown, wiki pages, tickets, mail, text from HTML and PDF): a line that starts a block
 * of its own, a list item, a heading, a quote, a table row, or a field line that follows another (a ticket's
 * or a mail's header lines; one such line alone may be a wrapped line of prose: "The cause was simple: it"),
 * as a regular expression's source (unicode). Passage splitting (encoder/passages.ts) and sentences
 * (core/sentences.ts: citations, the similarity gate, the reader's spans) end a unit before such a line, and
 * after a heading's (HEADING).
 */
export const BLOCK_LINE = String.raw`(?:${LIST_ITEM}|${HEADING}|[ \t]*>[ \t]|${TABLE_ROW}|(?<=(?:^|\n)${FIELD}[^\n]*\n)${FIELD})`;

/** Where the line holding offset `at` starts. */
export function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}
