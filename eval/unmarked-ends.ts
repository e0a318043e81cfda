import { readFileSync } from 'node:fs';
import { unmarkedEnds } from '../core/sentences.ts';

const USAGE = `node --import tsx eval/unmarked-ends.ts FILE.jsonl ... [--show]

How many of each SQuAD-format file's paragraphs the reader reads with a full stop the text does not write
(core/sentences.ts unmarkedEnds: a list item with no end mark of its own, a table row): the paragraphs whose
reader input differs from the text's own words. --show prints each such place.`;

function main() {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !a.startsWith('--'));
  if (!files.length || args.includes('--help')) {
    console.log(USAGE);
    process.exit(files.length ? 0 : 2);
  }
  for (const file of files) {
    const contexts = new Map<string, string>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const paragraph = JSON.parse(line) as { id: string; context: string };
      contexts.set(paragraph.context, paragraph.id);
    }
    let differ = 0;
    for (const [context, id] of contexts) {
      const ends = unmarkedEnds(context);
      if (ends.length) differ++;
      if (args.includes('--show')) for (const end of ends) console.log(`  ${id}: ${JSON.stringify(context.slice(Math.max(0, end - 50), end + 30))}`);
    }
    console.log(`${file}: ${differ} of ${contexts.size} paragraphs read with a full stop they do not write`);
  }
}

main();
