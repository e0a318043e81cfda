/**
 * Documents are data, never instructions. Before a document's text enters a context turn (a passage in
 * the prompt, or the turn a memory is read from), two things go: the chat template's markers
 * (`<|im_start|>`, `<|im_end|>`, ...), with which a document could close the context turn and open one of
 * its own; and every sentence that speaks to the model (ignore the question, new instructions, fake
 * system/assistant turns, [INST] blocks, "if you are an AI, say ..."). Text with neither is returned as
 * it is, byte for byte, so ordinary documents read exactly as before. Measured by `npm run eval:injection`.
 */
/** Bumped when what is removed changes: memories are made from neutralized text, so their format names it. */
export const NEUTRALIZE_REVISION = 1;

const MARKER = /<\|[^|<>\n]{1,40}\|>|\[\/?INST\]/g;

const INSTRUCTIONS = [
  /\b(ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(instructions?|questions?|context|above|previous|prompt|rules)\b/i,
  /\[\/?INST\]|#{2,}\s*(instruction|system|response)\b/i,
  /^\W*(system|assistant|user|answer)\s*:/i,
  /\b(if you are|note to)\b[^.!?\n]{0,40}\b(an? )?(ai|language model|assistant|llm|chatbot|model)\b/i,
  /\bnew instructions?\b|\bend of (the )?context\b|\bdo not answer the question\b/i,
  // an order to say something: a verb of saying, then a shouted token or "only"/"with" (case matters here)
  /^\W*(?:[Pp]lease\s+|[Nn]ow\s+)?(?:[Rr]eply|[Rr]espond|[Oo]utput|[Pp]rint|[Ss]ay|[Ww]rite)\s+(?:[A-Z]{3,}\b|only\b|with\b|the word\b)/,
  /\b(?:just|only)\s+(?:output|say|print|reply|respond)\s+(?:[A-Z]{3,}\b|with\b)|\b(?:say|print|output)\s+[A-Z]{3,}\s+and nothing else\b/,
  /\byour (answer|reply|response|output) (is|must be|should be|will be)\b/i,
  /^\W*(system|assistant|user)\W*$/i,
  /\b(answer|respond to|reply to)\s+(every|any|all)\s+(the\s+)?questions?\s+with\b/i,
];

/** A sentence: up to its end mark (or a line break, or the end), with the spaces after it. */
const SENTENCE = /(?:[^.!?\n]|[.!?](?=[^\s.!?]))*(?:[.!?]+["')\]]*(?=\s|$)|\n|$)\s*/g;

export function neutralize(text: string): string {
  const unmarked = text.replace(MARKER, '\n'); // a marker ends whatever sentence it interrupts
  let kept = '';
  let removed = false;
  for (const [sentence] of unmarked.matchAll(SENTENCE)) {
    if (!sentence) continue;
    if (INSTRUCTIONS.some((re) => re.test(sentence.trim()))) removed = true;
    else kept += sentence;
  }
  if (!removed) return unmarked === text ? text : unmarked;
  return kept.trim();
}
