import { serveCalls } from '../bundle/thread.ts';
import { htmlToText } from '../core/html-text.ts';

/** The HTML thread (server/html-thread.ts): a page in, its text out. */
serveCalls<{ html: string }>(async ({ request }) => ({ result: htmlToText(request.html) }));
