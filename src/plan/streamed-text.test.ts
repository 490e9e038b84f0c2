import { describe, expect, it } from 'vitest';
import { StreamedText } from './streamed-text.js';

describe('StreamedText', () => {
  it('renders each chunk when it is asked for, once, and reads again from what it rendered', () => {
    const rendered: string[] = [];
    let calls = 0;
    const text = new StreamedText(function* () {
      calls++;
      for (const c of ['a\n', 'b\n', 'c\n']) {
        rendered.push(c);
        yield c;
      }
    });
    expect(calls).toBe(0);
    const first = text.chunks();
    expect(first.next().value).toBe('a\n');
    expect(rendered).toEqual(['a\n']);
    // A second reader meanwhile gets the rendered chunk and renders the next one itself.
    expect([...text.chunks()]).toEqual(['a\n', 'b\n', 'c\n']);
    expect([...first]).toEqual(['b\n', 'c\n']);
    expect(String(text)).toBe('a\nb\nc\n');
    expect(JSON.stringify({ input: text })).toBe('{"input":"a\\nb\\nc\\n"}');
    expect(calls).toBe(1);
    expect(rendered).toEqual(['a\n', 'b\n', 'c\n']);
  });
});
