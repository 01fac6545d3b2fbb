// The chat page's pure logic, with no DOM: question-or-claim detection, the Server-Sent Events
// parser, quote highlighting and the line window of the source panel. Loaded by app.js in the
// browser and imported directly by the unit tests in tests/browser/logic.test.mjs.

/** Korean words that ask something (무엇, 누구, 얼마, 언제, 어디, 왜, 몇, 어떻게 …). */
const KO_INTERROGATIVE = /(무엇|뭐|뭘|누구|누가|얼마|언제|어디|어떻게|어떤|어느|무슨|몇|왜)/;
/** Korean endings of a question (…까, …나요, …는지, …니) at the end of the text. */
const KO_QUESTION_END = /(까|나요|가요|는지|은지|인지|니|냐|죠|지요)\s*[.!。]?\s*$/;
/** A bare noun phrase ending in a topic particle, as in search-style questions (현금 보유액은). */
const KO_TOPIC_END = /[가-힣](은|는)\s*$/;
/** English question words and auxiliaries that open a question. */
const EN_QUESTION_START =
  /^\s*(how|what|who|whom|whose|when|where|why|which|is|are|was|were|do|does|did|can|could|should|would|will|has|have|had)\b/i;
/** English question words anywhere (\"… and how much did it cost\"). */
const EN_QUESTION_WORD = /\b(how much|how many|what|who|when|where|why|which)\b/i;

/**
 * Guesses whether `text` asks a question or states a claim: a question mark, an interrogative
 * word (Korean or English) or a Korean question ending make it a question; otherwise a
 * declarative sentence is a claim. Returns "question" or "claim".
 */
export function detectKind(text) {
  const t = String(text || '').trim();
  if (!t) return 'question';
  if (/[?？]/.test(t)) return 'question';
  if (KO_INTERROGATIVE.test(t)) {
    // "누구나", "언제나", "어디든", "무엇보다" are not questions.
    const stripped = t.replace(/(누구나|누구든|언제나|언제든|어디나|어디든|무엇보다|무엇이든|몇몇|얼마나\s*많은지)/g, '');
    if (KO_INTERROGATIVE.test(stripped)) return 'question';
  }
  if (KO_QUESTION_END.test(t) || KO_TOPIC_END.test(t)) return 'question';
  if (EN_QUESTION_START.test(t) || EN_QUESTION_WORD.test(t)) return 'question';
  return 'claim';
}

/**
 * An incremental parser of a `text/event-stream` body. Feed it decoded text in chunks of any
 * size with `push`; it returns the events completed so far as `{event, data}` (event defaults to
 * "message"; several `data:` lines are joined with newlines; comments and `id:`/`retry:` are
 * ignored). Call `end()` when the stream closes to flush a last event without a blank line.
 */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.event = '';
    this.data = [];
  }

  push(chunk) {
    this.buffer += chunk;
    const out = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for more.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  end() {
    const out = [];
    if (this.buffer) {
      this.line(this.buffer, out);
      this.buffer = '';
    }
    this.line('', out);
    return out;
  }

  line(line, out) {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}

/**
 * The text of a `delta` event's data. The server sends the text itself; a JSON object with a
 * text field (`{"text": …}`, `delta`, `content`) is accepted too, for servers that wrap it.
 */
export function deltaText(data) {
  if (data.startsWith('{')) {
    try {
      const v = JSON.parse(data);
      for (const k of ['text', 'delta', 'content']) if (typeof v[k] === 'string') return v[k];
    } catch (_) {
      // raw text that happens to start with a brace
    }
  }
  return data;
}

/**
 * Splits the cited lines into plain and highlighted pieces. `lines` is `[{number, text}]`,
 * `start..=end` the cited range and `quote` the cited text. Returns, for each line,
 * `{number, cited, parts: [{text, mark}]}`. The quote is searched in the cited lines joined with
 * newlines (it may span lines), then, failing that, with whitespace runs collapsed; when it is
 * not found at all, the whole cited lines are highlighted.
 */
export function highlightLines(lines, start, end, quote) {
  const result = lines.map((l) => ({
    number: l.number,
    cited: l.number >= start && l.number <= end,
    parts: [{ text: String(l.text), mark: false }],
  }));
  const cited = result.filter((l) => l.cited);
  if (!cited.length) return result;
  const texts = cited.map((l) => l.parts[0].text);
  const joined = texts.join('\n');
  const q = String(quote || '').trim();
  let range = q ? findRange(joined, q) : null;
  if (!range) {
    for (const l of cited) l.parts = [{ text: l.parts[0].text, mark: true }];
    return result;
  }
  let offset = 0;
  cited.forEach((l, i) => {
    const text = texts[i];
    const a = Math.max(range[0] - offset, 0);
    const b = Math.min(range[1] - offset, text.length);
    if (a < b) {
      l.parts = [
        { text: text.slice(0, a), mark: false },
        { text: text.slice(a, b), mark: true },
        { text: text.slice(b), mark: false },
      ].filter((p) => p.text !== '');
    }
    offset += text.length + 1;
  });
  return result;
}

/** `[from, to)` of `quote` in `text`, exactly or ignoring differences in whitespace. */
function findRange(text, quote) {
  const i = text.indexOf(quote);
  if (i >= 0) return [i, i + quote.length];
  // Whitespace-insensitive: map positions of the text without whitespace back to the original.
  const map = [];
  let squeezed = '';
  for (let k = 0; k < text.length; k++) {
    if (!/\s/.test(text[k])) {
      map.push(k);
      squeezed += text[k];
    }
  }
  const q = quote.replace(/\s+/g, '');
  if (!q) return null;
  const j = squeezed.indexOf(q);
  if (j < 0) return null;
  return [map[j], map[j + q.length - 1] + 1];
}

/** The lines to show around a citation: `context` lines either side, within `1..=total`. */
export function contextWindow(start, end, total, context = 3) {
  const from = Math.max(1, start - context);
  let to = end + context;
  if (Number.isFinite(total) && total > 0) to = Math.min(to, total);
  return { from, to: Math.max(to, from) };
}

/** Seconds to wait from a `Retry-After` header (seconds or an HTTP date); null when absent. */
export function retryAfterSeconds(value, now = Date.now()) {
  if (value == null || value === '') return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  const t = Date.parse(value);
  if (Number.isFinite(t)) return Math.max(0, Math.round((t - now) / 1000));
  return null;
}
