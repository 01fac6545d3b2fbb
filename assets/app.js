// The chat page of factcheck. Plain JavaScript, no framework, no build step.
//
// Safety rule of this file: text from the user, the model or the corpus only ever reaches the
// page through `textContent` / text nodes (see `el` and `text` below). No HTML string is ever
// parsed, so markup inside a question, an answer or a corpus line stays visible text.

import {
  detectKind,
  SseParser,
  deltaText,
  highlightLines,
  contextWindow,
  retryAfterSeconds,
} from './logic.mjs';

// ---------------------------------------------------------------------------------------------
// Interface strings (Korean first, English too)

const STRINGS = {
  ko: {
    skip: '입력창으로 건너뛰기',
    tagline: '출처가 있는 답변 · 주장 검증',
    history: '대화 기록',
    clear: '기록 지우기',
    intro1:
      '질문을 하거나, 확인하고 싶은 주장을 붙여 넣으세요. 답변의 모든 문장에는 말뭉치의 정확한 줄을 가리키는 출처 번호가 붙습니다.',
    examples: '예시:',
    modeLabel: '모드',
    modeAuto: '자동',
    modeQuestion: '질문',
    modeClaim: '주장 검증',
    detectedQuestion: '→ 질문으로 처리',
    detectedClaim: '→ 주장으로 검증',
    inputLabel: '질문 또는 주장',
    placeholder: '질문이나 주장을 입력하세요 (Enter: 보내기, Shift+Enter: 줄바꿈)',
    send: '보내기',
    stop: '중지',
    source: '출처',
    close: '닫기',
    langSwitch: 'English',
    healthLoading: '서버 상태 확인 중…',
    healthDown: '서버에 연결할 수 없습니다',
    healthCorpus: (f, p) => `말뭉치 ${f}개 파일 · ${p}개 단락`,
    healthProblems: (n) => `읽지 못한 파일 ${n}개`,
    model: '모델',
    modelStatus: {
      none: '없음 (증거 모드)',
      loading: '불러오는 중',
      ready: '준비됨',
      failed: '실패 (증거 모드)',
    },
    you: { question: '질문', claim: '주장' },
    thinking: '자료를 찾는 중…',
    evidenceMode: '증거 모드 — 모델이 없어 답변은 출처 문장을 그대로 인용합니다',
    generativeMode: '모델이 작성한 답변 — 인용은 모두 원문과 대조했습니다',
    abstained: '답할 수 없음',
    unsupported: '근거 없음',
    unsupportedLabel: '이 문장은 출처로 뒷받침되지 않습니다',
    sources: '출처',
    lines: (a, b) => (a === b ? `${a}행` : `${a}–${b}행`),
    linesOf: (a, b, n) => `${a === b ? `${a}행` : `${a}–${b}행`} (전체 ${n}행)`,
    chipLabel: (n, src, lines) => `출처 ${n}: ${src} ${lines}`,
    rejected: (n) => `검증에 실패한 인용 ${n}개는 제외했습니다.`,
    timings: (r, g, t) => `검색 ${r} ms · 생성 ${g} ms · 합계 ${t} ms`,
    verdict: {
      supported: '사실로 확인됨',
      refuted: '사실과 다름',
      disputed: '근거가 엇갈림',
      not_enough_info: '판단할 근거 부족',
      unverified: '미검증 — 증거 모드',
    },
    verdictLabel: '판정',
    unverifiedNote:
      '모델이 없어 판정하지 않았습니다. 아래 근거와 수치 비교를 직접 확인하세요.',
    supports: '뒷받침하는 근거',
    refutes: '반박하는 근거',
    otherEvidence: '관련 근거',
    evidence: '근거',
    noEvidence: '관련 근거를 찾지 못했습니다.',
    signals: '수치·표현 비교',
    signalClaim: '주장',
    signalEvidence: '근거',
    signalStatus: '결과',
    signalStatusText: {
      match: '일치',
      mismatch: '불일치',
      conflicting: '엇갈림',
      not_found: '근거 없음',
    },
    errorTitle: '오류',
    busy: (s) =>
      s == null ? '서버가 바쁩니다. 잠시 후 다시 시도하세요.' : `서버가 바쁩니다. ${s}초 후 다시 시도하세요.`,
    network: '서버에 연결할 수 없습니다. 서버가 실행 중인지 확인하세요.',
    streamCut: '응답이 끝나기 전에 연결이 끊겼습니다.',
    aborted: '중지했습니다.',
    interrupted: '페이지를 새로 고쳐 응답이 중단되었습니다.',
    badResponse: '서버 응답을 읽을 수 없습니다.',
    retry: '다시 시도',
    needKey: '이 서버는 API 키가 필요합니다.',
    keyLabel: 'API 키',
    keySave: '저장하고 다시 시도',
    loadingSource: '원문을 불러오는 중…',
    sourceError: '원문을 불러오지 못했습니다',
  },
  en: {
    skip: 'Skip to the input',
    tagline: 'Answers with sources · claim checks',
    history: 'Conversation',
    clear: 'Clear history',
    intro1:
      'Ask a question or paste a claim to check. Every sentence of an answer carries numbered citations that point at exact lines of the corpus.',
    examples: 'Examples:',
    modeLabel: 'Mode',
    modeAuto: 'Auto',
    modeQuestion: 'Question',
    modeClaim: 'Claim',
    detectedQuestion: '→ treated as a question',
    detectedClaim: '→ checked as a claim',
    inputLabel: 'Question or claim',
    placeholder: 'Type a question or a claim (Enter: send, Shift+Enter: new line)',
    send: 'Send',
    stop: 'Stop',
    source: 'Source',
    close: 'Close',
    langSwitch: '한국어',
    healthLoading: 'Checking the server…',
    healthDown: 'Cannot reach the server',
    healthCorpus: (f, p) => `Corpus: ${f} files · ${p} passages`,
    healthProblems: (n) => `${n} unreadable files`,
    model: 'Model',
    modelStatus: {
      none: 'none (evidence mode)',
      loading: 'loading',
      ready: 'ready',
      failed: 'failed (evidence mode)',
    },
    you: { question: 'Question', claim: 'Claim' },
    thinking: 'Looking through the sources…',
    evidenceMode: 'Evidence mode — no model loaded: the answer quotes the sources verbatim',
    generativeMode: 'Written by the model — every citation checked against the source',
    abstained: 'No answer',
    unsupported: 'unsupported',
    unsupportedLabel: 'This sentence is not supported by a source',
    sources: 'Sources',
    lines: (a, b) => (a === b ? `line ${a}` : `lines ${a}–${b}`),
    linesOf: (a, b, n) => `${a === b ? `line ${a}` : `lines ${a}–${b}`} (of ${n})`,
    chipLabel: (n, src, lines) => `Source ${n}: ${src} ${lines}`,
    rejected: (n) => `${n} citation(s) failed verification and were left out.`,
    timings: (r, g, t) => `retrieval ${r} ms · generation ${g} ms · total ${t} ms`,
    verdict: {
      supported: 'Supported',
      refuted: 'Refuted',
      disputed: 'Disputed',
      not_enough_info: 'Not enough information',
      unverified: 'Unverified — evidence mode',
    },
    verdictLabel: 'Verdict',
    unverifiedNote:
      'No model is loaded, so no verdict was given. Check the evidence and the figures below yourself.',
    supports: 'Supporting evidence',
    refutes: 'Refuting evidence',
    otherEvidence: 'Related evidence',
    evidence: 'Evidence',
    noEvidence: 'No related evidence found.',
    signals: 'Figures and terms compared',
    signalClaim: 'In the claim',
    signalEvidence: 'In the evidence',
    signalStatus: 'Result',
    signalStatusText: {
      match: 'match',
      mismatch: 'mismatch',
      conflicting: 'conflicting',
      not_found: 'not found',
    },
    errorTitle: 'Error',
    busy: (s) =>
      s == null ? 'The server is busy. Try again shortly.' : `The server is busy. Try again in ${s} s.`,
    network: 'Cannot reach the server. Check that it is running.',
    streamCut: 'The connection closed before the answer was complete.',
    aborted: 'Stopped.',
    interrupted: 'The page was reloaded while this answer was coming in.',
    badResponse: 'The server sent a response the page cannot read.',
    retry: 'Try again',
    needKey: 'This server requires an API key.',
    keyLabel: 'API key',
    keySave: 'Save and retry',
    loadingSource: 'Loading the source…',
    sourceError: 'Could not load the source',
  },
};

const store = {
  get(area, key) {
    try {
      return window[area].getItem(key);
    } catch (_) {
      return null;
    }
  },
  set(area, key, value) {
    try {
      if (value == null) window[area].removeItem(key);
      else window[area].setItem(key, value);
    } catch (_) {
      // storage full or disabled: the page works without it
    }
  },
};

function initialLang() {
  const saved = store.get('localStorage', 'factcheck.lang');
  if (saved === 'ko' || saved === 'en') return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'ko'];
  if (langs.some((l) => /^ko\b/i.test(l))) return 'ko';
  return /^en\b/i.test(langs[0]) ? 'en' : 'ko';
}

let lang = initialLang();
const T = () => STRINGS[lang];

// ---------------------------------------------------------------------------------------------
// DOM helpers: the only way content enters the page

/** A text node: markup in `s` stays text. */
function text(s) {
  return document.createTextNode(s == null ? '' : String(s));
}

/**
 * Creates an element. `props`: `class`, `attrs` (set with setAttribute; never `on…`), `dataset`,
 * `onClick`; `children`: elements or strings (strings become text nodes).
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  for (const [k, v] of Object.entries(props.attrs || {})) {
    if (v == null || v === false) continue;
    if (/^on/i.test(k)) throw new Error('event handler attributes are not allowed');
    node.setAttribute(k, v === true ? '' : String(v));
  }
  if (props.onClick) node.addEventListener('click', props.onClick);
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? text(c) : c);
  }
  return node;
}

/** `lang="ko"` for text that contains Hangul, so it gets Korean fonts and line breaking. */
function langOf(s) {
  return /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/.test(String(s || '')) ? 'ko' : null;
}

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Talking to the server

function apiHeaders(extra = {}) {
  const h = { ...extra };
  const key = store.get('sessionStorage', 'factcheck.key');
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/** An error the page shows: HTTP status, machine code, message, seconds to wait. */
class ShownError extends Error {
  constructor({ status = 0, code = 'error', message = '', retryAfter = null, at = null }) {
    super(message);
    this.info = { status, code, message, retryAfter, at };
  }
}

/** Turns a non-2xx response into a ShownError, reading `{"error": {"code", "message"}}`. */
async function errorOf(resp) {
  let code = `http_${resp.status}`;
  let message = resp.statusText || '';
  try {
    const body = await resp.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch (_) {
    // not JSON: keep the status text
  }
  return new ShownError({
    status: resp.status,
    code,
    message,
    retryAfter: retryAfterSeconds(resp.headers.get('Retry-After')),
    at: Date.now(),
  });
}

async function getJson(url) {
  let resp;
  try {
    resp = await fetch(url, { headers: apiHeaders({ Accept: 'application/json' }) });
  } catch (e) {
    throw new ShownError({ code: 'network', message: T().network });
  }
  if (!resp.ok) throw await errorOf(resp);
  return resp.json();
}

// ---------------------------------------------------------------------------------------------
// Health line

async function refreshHealth() {
  const line = $('health');
  try {
    const resp = await fetch('/health', { headers: { Accept: 'application/json' } });
    const h = await resp.json();
    const t = T();
    const parts = [];
    const c = h.corpus || {};
    if (c.files != null) parts.push(t.healthCorpus(c.files, c.passages ?? '?'));
    const problems = Array.isArray(c.problems) ? c.problems.length : 0;
    if (problems) parts.push(t.healthProblems(problems));
    const m = h.model || {};
    const status = m.status || 'none';
    const name = m.name || m.model || m.file || '';
    let modelText = `${t.model}: ${t.modelStatus[status] || status}`;
    if (name && status !== 'none') modelText += ` (${name})`;
    parts.push(modelText);
    line.textContent = parts.join(' · ');
    line.dataset.state = status === 'ready' ? 'ready' : status === 'loading' ? 'loading' : 'evidence';
    line.dataset.model = status;
  } catch (_) {
    line.textContent = T().healthDown;
    line.dataset.state = 'down';
  }
}

// ---------------------------------------------------------------------------------------------
// Conversation state

const HISTORY_KEY = 'factcheck.history';
const MAX_HISTORY = 30;

/** Every exchange of the session: {id, kind, text, status, partial, live, response, error}. */
let exchanges = [];
let nextId = 1;
/** The request in flight: {ex, controller}. */
let current = null;

function saveHistory() {
  const kept = exchanges.slice(-MAX_HISTORY).map((ex) => ({
    kind: ex.kind,
    text: ex.text,
    response: ex.response,
    error: ex.error,
    partial: ex.status === 'done' ? '' : ex.partial,
    status: ex.status === 'done' || ex.status === 'error' ? ex.status : 'error',
  }));
  store.set('sessionStorage', HISTORY_KEY, JSON.stringify(kept));
}

function loadHistory() {
  try {
    const saved = JSON.parse(store.get('sessionStorage', HISTORY_KEY) || '[]');
    if (!Array.isArray(saved)) return;
    for (const s of saved) {
      if (!s || typeof s.text !== 'string') continue;
      const ex = newExchange(s.kind === 'claim' ? 'claim' : 'question', s.text);
      ex.response = s.response || null;
      ex.error = s.error || null;
      ex.partial = s.partial || '';
      ex.status = ex.response && !ex.error ? 'done' : 'error';
      if (ex.status === 'error' && !ex.error) ex.error = { code: 'interrupted', message: '' };
      exchanges.push(ex);
    }
  } catch (_) {
    store.set('sessionStorage', HISTORY_KEY, null);
  }
}

function newExchange(kind, textValue) {
  return {
    id: nextId++,
    kind,
    text: textValue,
    status: 'pending',
    partial: '',
    live: [],
    response: null,
    error: null,
    node: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderAll() {
  const log = $('log');
  log.replaceChildren();
  for (const ex of exchanges) {
    ex.node = renderExchange(ex);
    log.append(ex.node);
  }
  $('intro').hidden = exchanges.length > 0;
  $('clear').hidden = exchanges.length === 0;
}

/** Runs `change` and keeps the conversation scrolled to the end if it was there before. */
function keepingBottom(change) {
  const log = $('log');
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  change();
  if (atEnd) log.scrollTop = log.scrollHeight;
}

function rerender(ex) {
  keepingBottom(() => {
    const fresh = renderExchange(ex);
    if (ex.node && ex.node.parentNode) ex.node.replaceWith(fresh);
    else $('log').append(fresh);
    ex.node = fresh;
  });
  $('intro').hidden = true;
  $('clear').hidden = false;
}

function renderExchange(ex) {
  const t = T();
  const li = el('li', { class: `exchange kind-${ex.kind}`, attrs: { 'data-status': ex.status } });
  li.append(
    el(
      'div',
      { class: 'turn user' },
      el('span', { class: 'who' }, t.you[ex.kind]),
      el('p', { class: 'user-text', attrs: { lang: langOf(ex.text) } }, ex.text),
    ),
  );
  const bot = el('div', { class: 'turn bot' });
  li.append(bot);
  if (ex.response) {
    if (ex.kind === 'claim') renderCheck(bot, ex.response);
    else renderAsk(bot, ex.response);
  } else if (ex.partial || ex.live.length) {
    bot.append(streamingBody(ex));
  } else if (ex.status === 'pending' || ex.status === 'streaming') {
    bot.append(el('p', { class: 'thinking', attrs: { role: 'status' } }, t.thinking));
  }
  if (ex.error) bot.append(renderError(ex));
  return li;
}

/** The answer while it streams: the text so far and the citations verified so far. */
function streamingBody(ex) {
  const wrap = el('div', { class: 'streaming' });
  wrap.append(
    el('p', { class: 'answer partial', attrs: { lang: langOf(ex.partial) } }, ex.partial),
  );
  if (ex.live.length) {
    const chips = el('p', { class: 'live-chips' });
    ex.live.forEach((c, i) => chips.append(chip(c, i + 1), ' '));
    wrap.append(chips);
  }
  return wrap;
}

function linesText(c) {
  const a = Number(c.start_line);
  const b = Number(c.end_line ?? c.start_line);
  return T().lines(a, b);
}

/** A numbered citation button that opens the source panel. */
function chip(c, n) {
  const t = T();
  return el(
    'button',
    {
      class: `chip${c.side ? ` side-${c.side}` : ''}`,
      attrs: {
        type: 'button',
        'aria-label': t.chipLabel(n, c.source, linesText(c)),
        title: `${c.source} · ${linesText(c)}`,
        'data-source': c.source,
        'data-start': c.start_line,
        'data-end': c.end_line ?? c.start_line,
        disabled: !c.source,
      },
      onClick: (e) => openSource(c, e.currentTarget, n),
    },
    `[${n}]`,
  );
}

/** Why a configured model did not write this answer (loading, failed…), when the server says. */
function noticeNote(r) {
  return r.notice ? el('p', { class: 'notice', attrs: { role: 'note' } }, String(r.notice)) : null;
}

/** Why no passage was good enough to answer from, when the server says. */
function weakNote(r) {
  return r.weak_evidence
    ? el('p', { class: 'note weak', attrs: { role: 'note' } }, String(r.weak_evidence))
    : null;
}

function modeNote(mode) {
  const t = T();
  if (mode === 'extractive') {
    return el('p', { class: 'mode-note evidence-mode' }, t.evidenceMode);
  }
  if (mode === 'generative') return el('p', { class: 'mode-note model-mode' }, t.generativeMode);
  return null;
}

/** Index of a sentence's citation reference into the response's citations. */
function citationIndex(ref, citations) {
  if (typeof ref === 'number') return ref >= 0 && ref < citations.length ? ref : -1;
  if (ref && typeof ref === 'object') {
    const i = citations.findIndex(
      (c) => c.id === ref.id && c.start_line === ref.start_line && c.quote === ref.quote,
    );
    return i >= 0 ? i : citations.findIndex((c) => c.id === ref.id);
  }
  if (typeof ref === 'string') return citations.findIndex((c) => c.id === ref || c.label === ref);
  return -1;
}

/** Sentences with their chips; unsupported ones visibly marked. */
function sentencesBlock(sentences, citations, fallbackText) {
  const t = T();
  const p = el('p', { class: 'answer', attrs: { lang: langOf(fallbackText) } });
  if (Array.isArray(sentences) && sentences.length) {
    sentences.forEach((s, k) => {
      if (k) p.append(' ');
      const supported = s.supported !== false;
      const span = el('span', { class: supported ? 'sentence' : 'sentence unsupported' }, s.text);
      p.append(span);
      const refs = Array.isArray(s.citations) ? s.citations : [];
      for (const r of refs) {
        const i = citationIndex(r, citations);
        if (i >= 0) p.append(' ', chip(citations[i], i + 1));
      }
      if (!supported) {
        p.append(
          ' ',
          el(
            'span',
            { class: 'unsupported-tag', attrs: { title: t.unsupportedLabel, 'aria-label': t.unsupportedLabel } },
            `⚠ ${t.unsupported}`,
          ),
        );
      }
    });
  } else {
    p.append(fallbackText || '');
    citations.forEach((c, i) => p.append(' ', chip(c, i + 1)));
  }
  return p;
}

/** The numbered list of citations with their quotes. */
function sourceList(citations, title) {
  const t = T();
  const box = el('section', { class: 'sources' }, el('h3', {}, title || t.sources));
  const ol = el('ol', {});
  citations.forEach((c, i) => {
    ol.append(
      el(
        'li',
        {},
        chip(c, i + 1),
        ' ',
        el('span', { class: 'src-ref' }, `${c.source} · ${linesText(c)}`),
        el('q', { class: 'quote', attrs: { lang: langOf(c.quote) } }, c.quote || ''),
      ),
    );
  });
  box.append(ol);
  return box;
}

function metaLine(r) {
  const t = T();
  const bits = [];
  const rej = r.rejected_citations;
  const nRejected = rej == null ? 0 : typeof rej === 'number' ? rej : rej.count ?? (rej.items || []).length;
  if (nRejected) bits.push(el('p', { class: 'rejected' }, t.rejected(nRejected)));
  const tm = r.timings;
  if (tm && tm.total_ms != null) {
    const f = (x) => (x == null ? '–' : Math.round(Number(x)));
    bits.push(el('p', { class: 'timings' }, t.timings(f(tm.retrieval_ms), f(tm.generation_ms), f(tm.total_ms))));
  }
  return bits;
}

function renderAsk(bot, r) {
  const t = T();
  const citations = Array.isArray(r.citations) ? r.citations : [];
  bot.append(modeNote(r.mode) || '', noticeNote(r) || '', weakNote(r) || '');
  if (r.abstained) {
    bot.append(
      el(
        'p',
        { class: 'abstained' },
        el('strong', {}, t.abstained),
        ' ',
        el('span', { attrs: { lang: langOf(r.answer) } }, r.answer || ''),
      ),
    );
  } else {
    bot.append(sentencesBlock(r.sentences, citations, r.answer));
  }
  if (citations.length) bot.append(sourceList(citations));
  bot.append(...metaLine(r));
}

const VERDICT_ICON = {
  supported: '✔',
  refuted: '✖',
  disputed: '⚖',
  not_enough_info: '?',
  unverified: '○',
};

function renderCheck(bot, r) {
  const t = T();
  const verdict = String(r.verdict || 'unverified');
  const citations = Array.isArray(r.citations) ? r.citations : [];
  bot.append(
    el(
      'p',
      { class: 'verdict-line' },
      el('span', { class: 'visually-hidden' }, `${t.verdictLabel}: `),
      el(
        'span',
        { class: `verdict verdict-${verdict.replace(/[^a-z_]/g, '')}`, attrs: { 'data-verdict': verdict } },
        el('span', { class: 'icon', attrs: { 'aria-hidden': 'true' } }, VERDICT_ICON[verdict] || '•'),
        ' ',
        t.verdict[verdict] || verdict,
      ),
    ),
  );
  bot.append(modeNote(r.mode) || '', noticeNote(r) || '', weakNote(r) || '');
  if (verdict === 'unverified' && !r.explanation) bot.append(el('p', { class: 'note' }, t.unverifiedNote));
  if (r.explanation || (Array.isArray(r.sentences) && r.sentences.length)) {
    const p = sentencesBlock(r.sentences, citations, r.explanation);
    p.classList.add('explanation');
    bot.append(p);
  }
  // Evidence by side when the server says which side each citation is on.
  const numbered = citations.map((c, i) => ({ c, n: i + 1 }));
  const sided = numbered.some(({ c }) => c.side === 'supports' || c.side === 'refutes');
  const groups = sided
    ? [
        ['supports', t.supports, numbered.filter(({ c }) => c.side === 'supports')],
        ['refutes', t.refutes, numbered.filter(({ c }) => c.side === 'refutes')],
        ['other', t.otherEvidence, numbered.filter(({ c }) => c.side !== 'supports' && c.side !== 'refutes')],
      ]
    : [['all', t.evidence, numbered]];
  const ev = el('div', { class: `evidence${sided ? ' sided' : ''}` });
  for (const [key, title, items] of groups) {
    if (key === 'other' && !items.length) continue;
    const sec = el('section', { class: `side side-${key}` }, el('h3', {}, title));
    if (!items.length) sec.append(el('p', { class: 'none' }, t.noEvidence));
    else {
      const ol = el('ol', {});
      for (const { c, n } of items) {
        ol.append(
          el(
            'li',
            {},
            chip(c, n),
            ' ',
            el('span', { class: 'src-ref' }, `${c.source} · ${linesText(c)}`),
            el('q', { class: 'quote', attrs: { lang: langOf(c.quote) } }, c.quote || ''),
          ),
        );
      }
      sec.append(ol);
    }
    ev.append(sec);
  }
  bot.append(ev);
  if (Array.isArray(r.signals) && r.signals.length) bot.append(signalsTable(r.signals, r.passages));
  bot.append(...metaLine(r));
}

/** Claim figures against evidence figures. */
function signalsTable(signals, passages) {
  const t = T();
  const table = el(
    'table',
    { class: 'signals' },
    el('caption', {}, t.signals),
    el(
      'thead',
      {},
      el('tr', {}, el('th', { attrs: { scope: 'col' } }, t.signalClaim), el('th', { attrs: { scope: 'col' } }, t.signalEvidence), el('th', { attrs: { scope: 'col' } }, t.signalStatus)),
    ),
  );
  const body = el('tbody', {});
  const byId = new Map((Array.isArray(passages) ? passages : []).map((p) => [p.id, p]));
  for (const s of signals) {
    const status = String(s.status || 'not_found');
    const evCell = el('td', {});
    const evidence = Array.isArray(s.evidence) ? s.evidence : [];
    if (!evidence.length) evCell.append('—');
    evidence.forEach((e, i) => {
      if (i) evCell.append(el('br'));
      const mark = e.agrees ? '＝' : '≠';
      const item = el('span', { class: e.agrees ? 'ev agrees' : 'ev differs' }, `${mark} `, el('span', { attrs: { lang: langOf(e.text) } }, e.text ?? String(e.value ?? '')));
      evCell.append(item);
      const p = byId.get(e.passage_id);
      if (p && p.start_line != null) {
        evCell.append(
          ' ',
          el(
            'button',
            {
              class: 'src-link',
              attrs: { type: 'button', 'aria-label': `${t.source}: ${p.source} ${linesText(p)}` },
              onClick: (ev) =>
                openSource({ source: p.source, start_line: p.start_line, end_line: p.end_line, quote: e.text }, ev.currentTarget),
            },
            `${p.source} · ${linesText(p)}`,
          ),
        );
      } else if (e.source) {
        evCell.append(' ', el('span', { class: 'src-ref' }, e.source));
      }
    });
    body.append(
      el(
        'tr',
        { attrs: { 'data-status': status } },
        el('td', { attrs: { lang: langOf(s.claim_text) } }, s.claim_text ?? String(s.claim_value ?? '')),
        evCell,
        el('td', {}, el('span', { class: `status status-${status.replace(/[^a-z_]/g, '')}` }, t.signalStatusText[status] || status)),
      ),
    );
  }
  table.append(body);
  return table;
}

function renderError(ex) {
  const t = T();
  const e = ex.error || {};
  const box = el('div', { class: 'error', attrs: { role: 'alert' } });
  let message;
  if (e.code === 'network') message = t.network;
  else if (e.code === 'stream_cut') message = t.streamCut;
  else if (e.code === 'aborted') message = t.aborted;
  else if (e.code === 'interrupted') message = t.interrupted;
  else if (e.code === 'bad_response') message = t.badResponse;
  else if (e.status === 503) message = t.busy(e.retryAfter);
  else if (e.status === 401) message = t.needKey;
  else message = e.message || e.code || '';
  box.append(el('strong', {}, t.errorTitle), ' ', message);
  if (e.status && e.status !== 503 && e.status !== 401 && e.message) {
    box.append(' ', el('span', { class: 'code' }, `(${e.status} ${e.code})`));
  } else if (e.status === 503 && e.message) {
    box.append(' ', el('span', { class: 'code' }, `(${e.message})`));
  }
  if (e.status === 401) {
    const input = el('input', { attrs: { type: 'password', 'aria-label': t.keyLabel, placeholder: t.keyLabel, autocomplete: 'off' } });
    const form = el('form', { class: 'key-form' }, input, el('button', { attrs: { type: 'submit' } }, t.keySave));
    form.addEventListener('submit', (evt) => {
      evt.preventDefault();
      store.set('sessionStorage', 'factcheck.key', input.value.trim() || null);
      retry(ex);
    });
    box.append(form);
  } else {
    const button = el('button', { class: 'retry', attrs: { type: 'button' }, onClick: () => retry(ex) }, t.retry);
    box.append(' ', button);
    // A busy server said when to come back: the button waits until then.
    if (e.status === 503 && e.retryAfter > 0 && e.at && Date.now() - e.at < e.retryAfter * 1000) {
      button.disabled = true;
      let shown = false;
      const tick = () => {
        const left = Math.ceil((e.at + e.retryAfter * 1000 - Date.now()) / 1000);
        // Stop once the button has been on the page and was replaced.
        if (shown && !button.isConnected) return;
        shown = shown || button.isConnected;
        if (left <= 0) {
          button.disabled = false;
          button.textContent = t.retry;
        } else {
          button.textContent = `${t.retry} (${left})`;
          setTimeout(tick, 250);
        }
      };
      tick();
    }
  }
  return box;
}

// ---------------------------------------------------------------------------------------------
// Asking

function retry(ex) {
  if (current) return;
  ex.error = null;
  ex.response = null;
  ex.partial = '';
  ex.live = [];
  run(ex);
}

function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('composer').setAttribute('aria-busy', busy ? 'true' : 'false');
}

async function run(ex) {
  const controller = new AbortController();
  current = { ex, controller };
  ex.status = 'pending';
  setBusy(true);
  rerender(ex);
  ex.node.scrollIntoView({ block: 'end', behavior: 'smooth' });
  try {
    const r = await request(ex, controller.signal);
    ex.response = r;
    ex.status = 'done';
  } catch (e) {
    ex.status = 'error';
    if (e instanceof ShownError) ex.error = e.info;
    else if (e && e.name === 'AbortError') ex.error = { code: 'aborted', message: '' };
    else ex.error = { code: 'network', message: String((e && e.message) || e) };
  } finally {
    current = null;
    setBusy(false);
    rerender(ex);
    saveHistory();
  }
}

/** Sends the question or claim and follows the stream; resolves with the final response. */
async function request(ex, signal) {
  const claim = ex.kind === 'claim';
  const body = claim ? { claim: ex.text, stream: true } : { question: ex.text, stream: true };
  let resp;
  try {
    resp = await fetch(claim ? '/v1/check' : '/v1/ask', {
      method: 'POST',
      headers: apiHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream, application/json' }),
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ShownError({ code: 'network', message: String(e && e.message) });
  }
  if (!resp.ok) throw await errorOf(resp);
  const type = resp.headers.get('Content-Type') || '';
  if (!type.includes('text/event-stream')) {
    try {
      return await resp.json();
    } catch (_) {
      throw new ShownError({ code: 'bad_response' });
    }
  }
  ex.status = 'streaming';
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let final = null;
  let streamError = null;
  const handle = (events) => {
    for (const { event, data } of events) {
      if (event === 'delta') {
        ex.partial += deltaText(data);
        updateStreaming(ex);
      } else if (event === 'citation') {
        try {
          ex.live.push(JSON.parse(data));
          updateStreaming(ex);
        } catch (_) {
          // a malformed citation event is skipped; the final response has them all
        }
      } else if (event === 'done') {
        try {
          final = JSON.parse(data);
        } catch (_) {
          streamError = { code: 'bad_response' };
        }
      } else if (event === 'error') {
        try {
          const v = JSON.parse(data);
          streamError = { code: (v.error && v.error.code) || 'error', message: (v.error && v.error.message) || data };
        } catch (_) {
          streamError = { code: 'error', message: data };
        }
      }
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      handle(parser.push(value));
    }
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ShownError({ code: 'stream_cut', message: String(e && e.message) });
  }
  handle(parser.end());
  if (streamError) throw new ShownError({ status: 0, ...streamError });
  if (!final) throw new ShownError({ code: 'stream_cut' });
  return final;
}

/** Updates the streaming part of an exchange in place (keeps focus and scroll). */
function updateStreaming(ex) {
  const bot = ex.node && ex.node.querySelector('.turn.bot');
  if (!bot) return;
  ex.node.dataset.status = 'streaming';
  keepingBottom(() => {
    const old = bot.querySelector('.streaming, .thinking');
    const fresh = streamingBody(ex);
    if (old) old.replaceWith(fresh);
    else bot.prepend(fresh);
  });
}

// ---------------------------------------------------------------------------------------------
// Source panel

let panelOpener = null;
let panelToken = 0;
let sourcesPromise = null;

/** Line counts of the corpus files (for the context window), fetched once. */
async function totalLines(name) {
  if (!sourcesPromise) {
    sourcesPromise = getJson('/v1/sources').catch(() => ({ sources: [] }));
  }
  const list = await sourcesPromise;
  const f = (list.sources || []).find((s) => s.name === name);
  return f ? Number(f.lines) : NaN;
}

async function openSource(c, opener, n) {
  const t = T();
  const panel = $('panel');
  const body = $('panel-body');
  const token = ++panelToken;
  panelOpener = opener || null;
  const start = Number(c.start_line);
  const end = Number(c.end_line ?? c.start_line);
  $('panel-title').textContent = n ? `${t.source} [${n}]` : t.source;
  body.replaceChildren(el('p', { class: 'loading' }, t.loadingSource));
  panel.hidden = false;
  document.body.classList.add('panel-open');
  $('panel-title').focus();
  try {
    const total = await totalLines(c.source);
    const w = contextWindow(start, end, total, 3);
    const base = `/v1/sources/${encodeURIComponent(c.source)}`;
    let data;
    try {
      data = await getJson(`${base}?start=${w.from}&end=${w.to}`);
    } catch (e) {
      // The window ran past the end of the file: ask for the cited lines alone.
      if (!(e instanceof ShownError) || e.info.status !== 422) throw e;
      data = await getJson(`${base}?start=${start}&end=${end}`);
    }
    if (token !== panelToken) return;
    const meta = el('p', { class: 'panel-meta' }, el('span', { class: 'file' }, data.name || c.source), ' · ', t.linesOf(start, end, data.total_lines ?? '?'));
    const quote = c.quote ? el('blockquote', { class: 'panel-quote', attrs: { lang: langOf(c.quote) } }, c.quote) : null;
    const list = el('div', { class: 'src-lines', attrs: { role: 'list' } });
    for (const line of highlightLines(data.lines || [], start, end, c.quote)) {
      const tx = el('span', { class: 'tx', attrs: { lang: langOf(line.parts.map((p) => p.text).join('')) } });
      for (const p of line.parts) tx.append(p.mark ? el('mark', {}, p.text) : text(p.text));
      list.append(
        el(
          'div',
          { class: line.cited ? 'src-line cited' : 'src-line', attrs: { role: 'listitem', 'data-line': line.number } },
          el('span', { class: 'ln', attrs: { 'aria-hidden': 'true' } }, String(line.number)),
          tx,
        ),
      );
    }
    body.replaceChildren(meta, quote || '', list);
    const first = body.querySelector('mark') || body.querySelector('.cited');
    if (first) first.scrollIntoView({ block: 'center' });
  } catch (e) {
    if (token !== panelToken) return;
    const info = e instanceof ShownError ? e.info : { message: String(e) };
    body.replaceChildren(
      el('div', { class: 'error', attrs: { role: 'alert' } }, el('strong', {}, t.sourceError), ' ', info.message || info.code || ''),
    );
  }
}

function closePanel() {
  const panel = $('panel');
  if (panel.hidden) return;
  panelToken++;
  panel.hidden = true;
  document.body.classList.remove('panel-open');
  if (panelOpener && panelOpener.isConnected) panelOpener.focus();
  else $('input').focus();
  panelOpener = null;
}

// ---------------------------------------------------------------------------------------------
// The form

function chosenMode() {
  const r = document.querySelector('input[name="mode"]:checked');
  return r ? r.value : 'auto';
}

function kindFor(textValue) {
  const m = chosenMode();
  return m === 'question' || m === 'claim' ? m : detectKind(textValue);
}

function updateDetected() {
  const out = $('detected');
  const v = $('input').value;
  if (chosenMode() !== 'auto' || !v.trim()) {
    out.textContent = '';
    return;
  }
  out.textContent = detectKind(v) === 'claim' ? T().detectedClaim : T().detectedQuestion;
}

function submit() {
  if (current) return;
  const input = $('input');
  const value = input.value.trim();
  if (!value) {
    input.focus();
    return;
  }
  const ex = newExchange(kindFor(value), value);
  exchanges.push(ex);
  if (exchanges.length > MAX_HISTORY * 2) exchanges = exchanges.slice(-MAX_HISTORY);
  input.value = '';
  updateDetected();
  run(ex);
}

function applyStrings() {
  const t = T();
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) {
    const v = t[node.dataset.i18n];
    if (typeof v === 'string') node.textContent = v;
  }
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    const v = t[node.dataset.i18nPlaceholder];
    if (typeof v === 'string') node.setAttribute('placeholder', v);
  }
  for (const node of document.querySelectorAll('[data-i18n-label]')) {
    const v = t[node.dataset.i18nLabel];
    if (typeof v === 'string') node.setAttribute('aria-label', v);
  }
  $('lang').textContent = t.langSwitch;
  $('lang').setAttribute('lang', lang === 'ko' ? 'en' : 'ko');
}

function init() {
  const langButton = el('button', { class: 'lang', attrs: { type: 'button', id: 'lang' } });
  document.querySelector('header.top').append(langButton);
  langButton.addEventListener('click', () => {
    lang = lang === 'ko' ? 'en' : 'ko';
    store.set('localStorage', 'factcheck.lang', lang);
    applyStrings();
    updateDetected();
    renderAll();
    refreshHealth();
  });
  applyStrings();

  const input = $('input');
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition (Hangul)
    // does neither.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', updateDetected);
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', updateDetected);
  $('stop').addEventListener('click', () => current && current.controller.abort());
  $('clear').addEventListener('click', () => {
    if (current) return;
    exchanges = [];
    saveHistory();
    renderAll();
    input.focus();
  });
  for (const b of document.querySelectorAll('button.example')) {
    b.addEventListener('click', () => {
      input.value = b.dataset.example || b.textContent;
      updateDetected();
      input.focus();
    });
  }
  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('panel').hidden) {
      e.preventDefault();
      closePanel();
    }
  });

  loadHistory();
  renderAll();
  const poll = async () => {
    await refreshHealth();
    // Every 30 s; every 3 s while the model is loading, so "ready" shows up promptly.
    setTimeout(poll, $('health').dataset.model === 'loading' ? 3000 : 30000);
  };
  poll();
  input.focus();
}

init();
