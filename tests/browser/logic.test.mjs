// Unit tests of the page's pure logic (assets/logic.mjs), run in Node without a browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  detectKind,
  SseParser,
  deltaText,
  highlightLines,
  contextWindow,
  retryAfterSeconds,
} from '../../assets/logic.mjs';

test('questions and claims are told apart', () => {
  const questions = [
    '3월 말 기준 소프트뱅크의 현금 보유액은?',
    '소프트뱅크의 현금 보유액은',
    '스타게이트 프로젝트에 누가 투자했나요',
    '오픈AI에 얼마를 투자할 예정인가',
    '왜 머스크는 스타게이트를 비판했는지',
    'What is SoftBank investing in OpenAI',
    'how much cash does SoftBank hold',
    'Is Stargate funded',
  ];
  const claims = [
    '소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.',
    '올해 3월 말 기준으로 소프트뱅크는 약 230억 달러의 현금을 보유하고 있다.',
    '누구나 알 수 있듯이 소프트뱅크는 현금이 많다.',
    'SoftBank holds 23 billion dollars in cash.',
  ];
  for (const q of questions) assert.equal(detectKind(q), 'question', q);
  for (const c of claims) assert.equal(detectKind(c), 'claim', c);
});

test('SSE events survive any chunking, CRLF and multi-line data', () => {
  const body =
    ': keep-alive\r\nevent: delta\r\ndata: 소프트\r\n\r\nevent: delta\ndata: 뱅크는\ndata: 둘째 줄\n\n' +
    'event: done\ndata: {"answer":"a"}\n\n';
  const expected = [
    { event: 'delta', data: '소프트' },
    { event: 'delta', data: '뱅크는\n둘째 줄' },
    { event: 'done', data: '{"answer":"a"}' },
  ];
  for (const size of [1, 2, 3, 7, body.length]) {
    const p = new SseParser();
    const got = [];
    for (let i = 0; i < body.length; i += size) got.push(...p.push(body.slice(i, i + size)));
    got.push(...p.end());
    assert.deepEqual(got, expected, `chunk size ${size}`);
  }
  const p = new SseParser();
  assert.deepEqual(p.push('data: no blank line at the end'), []);
  assert.deepEqual(p.end(), [{ event: 'message', data: 'no blank line at the end' }]);
});

test('delta data is raw text; a JSON wrapper is accepted', () => {
  assert.equal(deltaText('"인용" 그대로'), '"인용" 그대로');
  assert.equal(deltaText('42'), '42');
  assert.equal(deltaText('{"text":"abc"}'), 'abc');
  assert.equal(deltaText('{not json'), '{not json');
});

test('the quote is highlighted inside the cited lines, also across lines', () => {
  const lines = [
    { number: 26, text: '앞 줄' },
    { number: 27, text: '소프트뱅크는 약 230억 달러의 현금을 보유하고 있다.' },
    { number: 28, text: '뒷 줄' },
  ];
  const out = highlightLines(lines, 27, 27, '약 230억 달러의 현금');
  assert.equal(out[0].cited, false);
  assert.deepEqual(out[1].parts, [
    { text: '소프트뱅크는 ', mark: false },
    { text: '약 230억 달러의 현금', mark: true },
    { text: '을 보유하고 있다.', mark: false },
  ]);
  const two = highlightLines(lines, 27, 28, '있다. 뒷');
  assert.deepEqual(two[1].parts.at(-1), { text: '있다.', mark: true });
  assert.deepEqual(two[2].parts[0], { text: '뒷', mark: true });
  const missing = highlightLines(lines, 27, 27, '없는 인용');
  assert.deepEqual(missing[1].parts, [{ text: lines[1].text, mark: true }]);
});

test('context window and Retry-After', () => {
  assert.deepEqual(contextWindow(2, 3, 40), { from: 1, to: 6 });
  assert.deepEqual(contextWindow(38, 39, 40), { from: 35, to: 40 });
  assert.deepEqual(contextWindow(5, 5, NaN), { from: 2, to: 8 });
  assert.equal(retryAfterSeconds('2'), 2);
  assert.equal(retryAfterSeconds(null), null);
  assert.equal(retryAfterSeconds(new Date(10_000).toUTCString(), 0), 10);
});
