/** A heading line's opening ("# ", "## "), as a regular expression's source: "#1" or "#tag" opens none. */
export const HEADING = String.raw`[ \t]*#+[ \t]`;

/**
 * Structured text (Markdown, wiki pages, tickets, text from HTML and PDF): a line that starts a block of its
 * own, a list item, a heading, a quote or a table row, as a regular expression's source. Passage splitting
 * (encoder/passages.ts) and citations (answer/citation.ts) both end a unit before such a line, and after a
 * heading's (HEADING).
 */
export const BLOCK_LINE = String.raw`[ \t]*(?:(?:[-*+•>]|#+|\d+[.)])[ \t]|\|)`;

/** A list item's opening ("- ", "* ", "+ ", "• ", "1. ", "1) "), as a regular expression's source. */
export const LIST_ITEM = String.raw`[ \t]*(?:[-*+•]|\d+[.)])[ \t]`;
