// The chat page in a real headless Chromium against the real server (started by run.sh): asking
// in evidence mode, citations and the source panel, claims and verdicts, errors, keyboard use,
// history, and markup in questions, answers and corpus text that must stay text.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS,
  NO_ANSWERS,
  XSS_BASE,
  injectedElements,
  lastExchange,
  launch,
  mockStream,
  openPage,
  send,
} from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const QUESTION = '3월 말 기준 소프트뱅크의 현금 보유액은?';
const CLAIM = '소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.';

describe('real server, evidence mode', () => {
  test('the page loads under its CSP and shows the server status', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      const health = await page.textContent('#health');
      assert.match(health, /5개 파일/);
      assert.match(health, /모델/);
      assert.equal(await page.getAttribute('html', 'lang'), 'ko');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('a question gets an answer with citation chips that open the cited lines', { skip: NO_ANSWERS }, async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.fill('#input', QUESTION);
      assert.match(await page.textContent('#detected'), /질문/);
      await page.press('#input', 'Enter');
      const ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'done', await ex.textContent());
      assert.match(await ex.locator('.evidence-mode').textContent(), /증거 모드/);
      const answer = await ex.locator('.answer').textContent();
      assert.match(answer, /230억 달러/);

      const chip = ex.locator('.answer .chip').first();
      await chip.click();
      const panel = page.locator('#panel');
      await panel.locator('mark').first().waitFor();
      const start = Number(await chip.getAttribute('data-start'));
      const citedLine = panel.locator(`.src-line.cited[data-line="${start}"]`);
      assert.equal(await citedLine.count(), 1);
      const marked = (await panel.locator('mark').allTextContents()).join('');
      const quote = await panel.locator('.panel-quote').textContent();
      assert.ok(marked.length > 0 && quote.includes(marked.trim().slice(0, 20)), `${marked} / ${quote}`);
      assert.ok(await panel.locator('.src-line:not(.cited)').count() > 0, 'context lines around the citation');
      // Focus moved into the panel; Escape closes it and gives focus back to the chip.
      assert.equal(await page.evaluate(() => document.activeElement.id), 'panel-title');
      await page.keyboard.press('Escape');
      assert.equal(await panel.isHidden(), true);
      assert.equal(await page.evaluate(() => document.activeElement.classList.contains('chip')), true);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('screenshot of a conversation: a question, a claim and an open citation', { skip: NO_ANSWERS }, async () => {
    const { page, problems, close } = await openPage(browser, { viewport: { width: 1360, height: 1020 } });
    try {
      await send(page, QUESTION);
      await lastExchange(page);
      await send(page, CLAIM);
      await lastExchange(page);
      await page.locator('#log > .exchange').first().locator('.answer .chip').first().click();
      await page.locator('#panel mark').first().waitFor();
      await page.evaluate(() => {
        document.getElementById('log').scrollTop = 0;
      });
      await page.screenshot({ path: join(ARTIFACTS, 'chat.png') });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('a pasted claim gets a verdict badge', { skip: NO_ANSWERS }, async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.fill('#input', CLAIM);
      assert.match(await page.textContent('#detected'), /주장/);
      await page.press('#input', 'Enter');
      const ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'done', await ex.textContent());
      const badge = ex.locator('.verdict');
      const verdict = await badge.getAttribute('data-verdict');
      assert.ok(['supported', 'refuted', 'disputed', 'not_enough_info', 'unverified'].includes(verdict), verdict);
      assert.ok((await badge.textContent()).trim().length > 2);
      if (verdict === 'unverified') assert.match(await badge.textContent(), /증거 모드/);
      await page.screenshot({ path: join(ARTIFACTS, 'claim.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('the mode toggle overrides the detection', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      // Shift+Enter is a new line, not a send.
      await page.fill('#input', '첫 줄');
      await page.press('#input', 'Shift+Enter');
      assert.equal(await page.inputValue('#input'), '첫 줄\n');
      assert.equal(await page.locator('#log > .exchange').count(), 0);
      await send(page, QUESTION, 'claim');
      const ex = await lastExchange(page);
      assert.match(await ex.getAttribute('class'), /kind-claim/);
      assert.equal(await ex.locator('.verdict').count(), 1);
    } finally {
      await close();
    }
  });

  test('keyboard only: Tab to a chip, Enter opens the panel, Escape closes it', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      await send(page, QUESTION);
      await lastExchange(page);
      await page.locator('.answer .chip').first().focus();
      await page.keyboard.press('Enter');
      await page.locator('#panel mark').first().waitFor();
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('#panel').isHidden(), true);
    } finally {
      await close();
    }
  });

  test('the conversation survives a reload (session storage)', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      await send(page, QUESTION);
      await lastExchange(page);
      await page.reload();
      await page.locator('#log > .exchange').first().waitFor();
      assert.equal(await page.locator('#log > .exchange').count(), 1);
      assert.equal(await page.locator('#log .user-text').textContent(), QUESTION);
      assert.ok((await page.locator('#log .answer .chip').count()) > 0);
      await page.locator('#clear').click();
      assert.equal(await page.locator('#log > .exchange').count(), 0);
      await page.reload();
      await page.locator('#intro').waitFor();
      assert.equal(await page.locator('#log > .exchange').count(), 0);
    } finally {
      await close();
    }
  });
});

describe('errors are shown in the conversation', () => {
  test('busy server: 503 with Retry-After', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      await page.route('**/v1/ask', (route) =>
        route.fulfill({
          status: 503,
          headers: { 'Content-Type': 'application/json', 'Retry-After': '2' },
          body: JSON.stringify({ error: { code: 'busy', message: 'the server is busy; retry in 2 s' } }),
        }),
      );
      await send(page, QUESTION);
      const ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'error');
      assert.match(await ex.locator('.error').textContent(), /바쁩니다.*2초/);
      // The retry button waits for Retry-After, then asks again; this time the real server
      // answers.
      const retry = ex.locator('.error button.retry');
      assert.equal(await retry.isDisabled(), true);
      await page.unroute('**/v1/ask');
      await retry.click();
      const again = await lastExchange(page);
      assert.equal(await again.getAttribute('data-status'), 'done');
      assert.equal(await page.locator('#log > .exchange').count(), 1);
    } finally {
      await close();
    }
  });

  test('a server with an API key: the page asks for it once and sends it', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      const seen = [];
      await page.route('**/v1/**', (route) => {
        const auth = route.request().headers().authorization || '';
        seen.push(auth);
        if (auth !== 'Bearer k-123') {
          return route.fulfill({
            status: 401,
            headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' },
            body: JSON.stringify({ error: { code: 'unauthorized', message: 'missing or wrong API key' } }),
          });
        }
        return route.continue();
      });
      await send(page, QUESTION);
      const ex = await lastExchange(page);
      assert.match(await ex.locator('.error').textContent(), /API 키/);
      await ex.locator('.key-form input').fill('k-123');
      await ex.locator('.key-form button').click();
      const again = await lastExchange(page);
      assert.equal(await again.getAttribute('data-status'), 'done');
      await again.locator('.answer .chip').first().click();
      await page.locator('#panel mark').first().waitFor();
      assert.deepEqual(seen.slice(0, 2), ['', 'Bearer k-123']);
      assert.ok(seen.slice(1).every((a) => a === 'Bearer k-123'), seen.join(','));
    } finally {
      await close();
    }
  });

  test('a validation error keeps its message and code', { skip: NO_ANSWERS }, async () => {
    const { page, close } = await openPage(browser);
    try {
      // 4002 characters exceed the server's limit of 4000: a 422 from the real server. (Set
      // directly: the textarea's maxlength stops typing at 4000.)
      await page.check('input[name="mode"][value="question"]');
      await page.$eval('#input', (e, v) => { e.value = v; }, 'x'.repeat(4000) + '가?');
      await page.press('#input', 'Enter');
      const ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'error');
      assert.match(await ex.locator('.error').textContent(), /422/);
    } finally {
      await close();
    }
  });

  test('the stop button cancels a request that hangs', async () => {
    const { page, close } = await openPage(browser);
    try {
      await page.route('**/v1/ask', () => {}); // never answers
      await send(page, QUESTION);
      await page.locator('#stop').click();
      const ex = await lastExchange(page);
      assert.match(await ex.locator('.error').textContent(), /중지했습니다/);
      assert.equal(await page.locator('#send').isVisible(), true);
      assert.equal(await page.locator('#stop').isHidden(), true);
    } finally {
      await close();
    }
  });

  test('network failure and a stream cut short', async () => {
    const { page, close } = await openPage(browser);
    try {
      await page.route('**/v1/ask', (route) => route.abort('connectionrefused'));
      await send(page, QUESTION);
      let ex = await lastExchange(page);
      assert.match(await ex.locator('.error').textContent(), /연결할 수 없습니다/);
      await page.unroute('**/v1/ask');
      await mockStream(page, '/v1/ask', [['delta', '소프트뱅크는 약 230억 달러의']]);
      await send(page, QUESTION);
      ex = await lastExchange(page);
      assert.match(await ex.locator('.answer.partial').textContent(), /230억/);
      assert.match(await ex.locator('.error').textContent(), /끊겼습니다/);
      await page.unroute('**/v1/ask');
      await mockStream(page, '/v1/ask', [['error', { error: { code: 'internal_error', message: 'internal error; see the server log' } }]]);
      await send(page, QUESTION);
      ex = await lastExchange(page);
      assert.match(await ex.locator('.error').textContent(), /internal error/);
    } finally {
      await close();
    }
  });
});

describe('rendering of model answers and verdicts (mocked responses)', () => {
  const cite = (n, extra = {}) => ({
    id: `000_e75c928bc0077ff5:${n}-${n}`,
    label: `P${n}`,
    source: '000_e75c928bc0077ff5.txt',
    start_line: 27,
    end_line: 27,
    quote: '올해 3월 말 기준으로 소프트뱅크는 약 230억 달러의 현금',
    ...extra,
  });

  test('streamed deltas, supported and unsupported sentences, rejected citations', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      const done = {
        answer: '소프트뱅크는 약 230억 달러의 현금을 보유했다. 이는 사상 최대다.',
        abstained: false,
        mode: 'generative',
        citations: [cite(1)],
        rejected_citations: { count: 1, items: [{ marker: '[P9]', reason: 'unknown_passage', sentence: 1 }] },
        sentences: [
          { text: '소프트뱅크는 약 230억 달러의 현금을 보유했다.', supported: true, citations: [0] },
          { text: '이는 사상 최대다.', supported: false, citations: [] },
        ],
        passages: [],
        timings: { retrieval_ms: 3.2, generation_ms: 812.5, total_ms: 816 },
      };
      await mockStream(page, '/v1/ask', [
        ['delta', '소프트뱅크는 약 230억 달러의 현금을 보유했다 [P1].'],
        ['citation', cite(1)],
        ['delta', ' 이는 사상 최대다.'],
        ['done', done],
      ]);
      await send(page, QUESTION);
      const ex = await lastExchange(page);
      assert.match(await ex.locator('.model-mode').textContent(), /모델/);
      assert.equal(await ex.locator('.sentence.unsupported').textContent(), '이는 사상 최대다.');
      assert.match(await ex.locator('.unsupported-tag').textContent(), /근거 없음/);
      assert.match(await ex.locator('.rejected').textContent(), /1개/);
      assert.match(await ex.locator('.timings').textContent(), /817|816/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('abstention is said plainly', async () => {
    const { page, close } = await openPage(browser);
    try {
      await mockStream(page, '/v1/ask', [
        [
          'done',
          {
            answer: '제공된 자료에는 이 질문에 답할 수 있는 내용이 없습니다.',
            abstained: true,
            mode: 'extractive',
            citations: [],
            sentences: [],
            notice: 'the model is still loading; this answer is in evidence mode',
            weak_evidence: "the best passage (mars:3-3) holds 12.5% of the request's words",
          },
        ],
      ]);
      await send(page, '화성의 인구는?');
      const ex = await lastExchange(page);
      assert.match(await ex.locator('.abstained').textContent(), /답할 수 없음.*내용이 없습니다/);
      assert.match(await ex.locator('.notice').textContent(), /still loading/);
      assert.match(await ex.locator('.weak').textContent(), /12\.5% of the request's words/);
    } finally {
      await close();
    }
  });

  test('a refuted claim shows both sides and the figures table', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await mockStream(page, '/v1/check', [
        [
          'done',
          {
            verdict: 'refuted',
            explanation: '기사에 따르면 인수 금액은 65억 달러다.',
            citations: [
              cite(1, { side: 'refutes', start_line: 29, end_line: 29, quote: '65억 달러에 칩 회사 Ampere Computing을 인수할 예정' }),
              cite(2, { side: 'supports', quote: '소프트뱅크는' }),
            ],
            signals: [
              {
                kind: 'amount',
                claim_text: '100억 달러',
                claim_value: 10_000_000_000,
                unit: 'USD',
                status: 'mismatch',
                evidence: [
                  { text: '65억 달러', value: 6_500_000_000, agrees: false, passage: 'P1', passage_id: 'p29', source: '000_e75c928bc0077ff5.txt' },
                ],
              },
            ],
            mode: 'generative',
            passages: [{ label: 'P1', id: 'p29', source: '000_e75c928bc0077ff5.txt', start_line: 29, end_line: 29 }],
            timings: { retrieval_ms: 1, generation_ms: 2, total_ms: 3 },
          },
        ],
      ]);
      await send(page, CLAIM);
      const ex = await lastExchange(page);
      assert.equal(await ex.locator('.verdict').getAttribute('data-verdict'), 'refuted');
      assert.match(await ex.locator('.verdict').textContent(), /사실과 다름/);
      assert.match(await ex.locator('section.side-refutes').textContent(), /65억 달러/);
      assert.match(await ex.locator('section.side-supports').textContent(), /소프트뱅크는/);
      const row = ex.locator('table.signals tbody tr');
      assert.equal(await row.getAttribute('data-status'), 'mismatch');
      assert.match(await row.textContent(), /100억 달러.*65억 달러.*불일치/);
      // The evidence figure links to its lines.
      await row.locator('button.src-link').click();
      await page.locator('#panel mark').first().waitFor();
      assert.equal(await page.locator('#panel mark').first().textContent(), '65억 달러');
      await page.screenshot({ path: join(ARTIFACTS, 'claim-refuted.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});

describe('languages, themes and screen sizes (mocked responses)', () => {
  const EXTRACTIVE = {
    answer: '올해 3월 말 기준으로 소프트뱅크는 약 230억 달러의 현금과 약 1,720억 달러의 순자산을 보유하고 있다.',
    abstained: false,
    mode: 'extractive',
    citations: [
      {
        id: '000_e75c928bc0077ff5:27-27',
        label: 'P1',
        source: '000_e75c928bc0077ff5.txt',
        start_line: 27,
        end_line: 27,
        quote: '올해 3월 말 기준으로 소프트뱅크는 약 230억 달러의 현금과 약 1,720억 달러의 순자산을 보유하고 있으며',
      },
    ],
    rejected_citations: { count: 0, items: [] },
    sentences: [{ text: '올해 3월 말 기준으로 소프트뱅크는 약 230억 달러의 현금과 약 1,720억 달러의 순자산을 보유하고 있다.', supported: true, citations: [0] }],
    passages: [],
    timings: { retrieval_ms: 2, generation_ms: 0, total_ms: 3 },
  };

  test('English interface for an English browser; evidence mode is labelled', async () => {
    const { page, problems, close } = await openPage(browser, { locale: 'en-US' });
    try {
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.match(await page.textContent('#health'), /Corpus: 5 files/);
      await page.fill('#input', 'How much cash did SoftBank hold at the end of March');
      assert.match(await page.textContent('#detected'), /question/);
      await mockStream(page, '/v1/ask', [['done', EXTRACTIVE]]);
      await page.press('#input', 'Enter');
      const ex = await lastExchange(page);
      assert.equal(
        await ex.locator('.evidence-mode').textContent(),
        'Evidence mode — no model loaded: the answer quotes the sources verbatim',
      );
      // Korean text inside an English page keeps lang="ko".
      assert.equal(await ex.locator('.answer').getAttribute('lang'), 'ko');
      // The language button switches the interface and redraws the conversation.
      await page.locator('#lang').click();
      assert.equal(await page.getAttribute('html', 'lang'), 'ko');
      assert.match(await page.locator('#log .evidence-mode').textContent(), /^증거 모드/);
      assert.equal(await page.locator('#send').textContent(), '보내기');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('dark theme and a phone-sized screen: nothing overflows, the panel is a sheet', async () => {
    const { page, problems, close } = await openPage(browser, {
      colorScheme: 'dark',
      viewport: { width: 390, height: 780 },
    });
    try {
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(20, 23, 27)');
      await mockStream(page, '/v1/ask', [['done', EXTRACTIVE]]);
      await send(page, '3월 말 기준 소프트뱅크의 현금 보유액은?');
      const ex = await lastExchange(page);
      await ex.locator('.answer .chip').first().click();
      await page.locator('#panel mark').first().waitFor();
      const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(fits, 'no horizontal scrolling');
      const box = await page.locator('#panel').boundingBox();
      assert.ok(box.width >= 380 && box.y > 100, JSON.stringify(box));
      await page.screenshot({ path: join(ARTIFACTS, 'chat-dark-phone.png') });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});

describe('markup stays text (XSS)', () => {
  const PAYLOADS = [
    '<img src=x onerror=window.__xss=1>',
    '<script>window.__xss=2</script>',
    '"><svg onload=window.__xss=3><b>굵게</b>',
    '<img src=x onerror=alert(1)>',
  ];

  async function assertClean(page, problems) {
    await page.waitForTimeout(200);
    assert.deepEqual(await injectedElements(page), []);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(problems, []);
  }

  test('in questions and claims', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      for (const p of PAYLOADS) {
        for (const mode of ['question', 'claim']) {
          await send(page, p, mode);
          await lastExchange(page);
          assert.equal(await page.locator('#log .user-text').last().textContent(), p);
        }
      }
      await page.reload();
      await page.locator('#log > .exchange').first().waitFor();
      await assertClean(page, problems);
    } finally {
      await close();
    }
  });

  test('in corpus lines quoted by an answer and shown in the source panel', { skip: NO_ANSWERS }, async () => {
    assert.ok(XSS_BASE, 'FACTCHECK_XSS_URL is set by run.sh');
    const { page, problems, close } = await openPage(browser, { base: XSS_BASE });
    try {
      await send(page, '게시판 점검에서 찾은 첫 번째 악성 입력은 어떤 이미지 태그였나?');
      let ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'done', await ex.textContent());
      assert.ok((await ex.textContent()).includes('<img src=x onerror=window.__xss=1>'), await ex.textContent());
      await ex.locator('.chip').first().click();
      await page.locator('#panel mark').first().waitFor();
      assert.ok((await page.locator('#panel').textContent()).includes('<script>window.__xss=2</script>'));
      await page.keyboard.press('Escape');
      await send(page, '두 번째 악성 입력은 어떤 스크립트 태그였나?');
      ex = await lastExchange(page);
      assert.ok((await ex.textContent()).includes('<script>window.__xss=2</script>'), await ex.textContent());
      await send(page, '첫 번째 악성 입력은 이미지 태그였다.', 'claim');
      ex = await lastExchange(page);
      assert.equal(await ex.getAttribute('data-status'), 'done');
      await assertClean(page, problems);
    } finally {
      await close();
    }
  });

  test('in every field of a model answer and a verdict', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      const evil = PAYLOADS.join(' ');
      const c = { id: evil, label: 'P1', source: '000_e75c928bc0077ff5.txt', start_line: 27, end_line: 27, quote: evil, side: 'supports' };
      await mockStream(page, '/v1/ask', [
        ['delta', evil],
        ['citation', c],
        ['done', { answer: evil, abstained: false, mode: evil, citations: [c], sentences: [{ text: evil, supported: false, citations: [0] }], rejected_citations: { count: 0, items: [] } }],
      ]);
      await mockStream(page, '/v1/check', [
        ['done', { verdict: evil, explanation: evil, citations: [c], mode: 'generative', signals: [{ kind: evil, claim_text: evil, claim_value: evil, unit: evil, status: evil, evidence: [{ text: evil, value: evil, agrees: true, passage: evil, passage_id: evil, source: evil }] }] }],
      ]);
      await send(page, '질문?');
      await lastExchange(page);
      await send(page, '주장이다.');
      await lastExchange(page);
      await page.locator('#log .chip').first().click();
      await page.locator('#panel mark').first().waitFor();
      await page.keyboard.press('Escape');
      await assertClean(page, problems);
    } finally {
      await close();
    }
  });
});
