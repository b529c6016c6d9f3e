import { describe, expect, it } from 'vitest';
import { render, TemplateError, templateRefs } from '../../../src/core/workflows/template.js';
import { findCycle } from '../../../src/core/workflows/validate.js';

const scope = {
  input: { topic: 'tides', n: 3, tags: ['a', 'b'] },
  steps: { research: { text: 'moon pulls water', usage: { totalTokens: 3 } } },
};

describe('workflow templates', () => {
  it('replaces placeholders inside strings, deeply in objects and arrays', () => {
    expect(
      render(
        {
          prompt: 'Write about {{input.topic}} using: {{ steps.research.output.text }}',
          messages: [{ role: 'user', content: '{{input.n}} points' }],
        },
        scope,
      ),
    ).toEqual({
      prompt: 'Write about tides using: moon pulls water',
      messages: [{ role: 'user', content: '3 points' }],
    });
  });

  it('keeps the value itself when a string is exactly one placeholder, and JSON inside text', () => {
    expect(render({ variables: { tags: '{{input.tags}}' } }, scope)).toEqual({
      variables: { tags: ['a', 'b'] },
    });
    expect(render('usage {{steps.research.output.usage}}', scope)).toBe('usage {"totalTokens":3}');
    expect(render('first tag {{input.tags.0}}', scope)).toBe('first tag a');
  });

  it('fails with a clear error when a value is missing', () => {
    expect(() => render('{{input.subject}}', scope)).toThrow(
      new TemplateError('{{input.subject}}: no value at "subject"'),
    );
    expect(() => render('{{steps.draft.output.text}}', scope)).toThrow('step draft has no output');
    expect(() => render('{{input.topic.length.x}}', scope)).toThrow('no value at "length"');
  });

  it('lists references and rejects malformed or foreign ones', () => {
    expect(templateRefs({ a: '{{input.x}} {{steps.s1.output.text}}', b: ['{{input.y.z}}'] })).toEqual([
      { root: 'input', path: ['x'] },
      { root: 'steps', stepId: 's1', path: ['text'] },
      { root: 'input', path: ['y', 'z'] },
    ]);
    expect(() => templateRefs('{{process.env.SECRET}}')).toThrow('must be {{input.<name>}}');
    expect(() => templateRefs('{{steps.s1.input}}')).toThrow('must be {{input.<name>}}');
    expect(() => templateRefs('{{input..x}}')).toThrow('Malformed template reference');
  });

  it('scans a template of long space runs without closing braces in linear time', () => {
    // The old pattern (`\s*` beside a lazy group) took seconds on this; linear scanning is instant.
    const hostile = `${'{{'.padEnd(50_000, ' ')}x${'{{ '.repeat(20_000)}`;
    const started = performance.now();
    expect(templateRefs({ a: hostile })).toEqual([]);
    expect(render(hostile, scope)).toBe(hostile);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('names the steps that form a cycle', () => {
    const step = (id: string, dependsOn: string[]) => ({ id, agentId: 'a', input: {}, dependsOn });
    expect(findCycle([step('a', []), step('b', ['a', 'd']), step('c', ['b']), step('d', ['c'])])).toEqual([
      'b',
      'd',
      'c',
      'b',
    ]);
    expect(findCycle([step('a', []), step('b', ['a']), step('c', ['a', 'b'])])).toBeNull();
  });
});
