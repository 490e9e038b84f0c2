import { describe, expect, it } from 'vitest';
import { shellQuote, splitWords } from './shell-quote.js';

describe('splitWords (a kubectl line of a lab file, as a shell splits it)', () => {
  it('splits on blanks and keeps quoted text whole, without any expansion', () => {
    expect(splitWords(`expose deployment web --name=web-service  --port=80`)).toEqual({
      words: ['expose', 'deployment', 'web', '--name=web-service', '--port=80'],
    });
    expect(splitWords(`get pods -o 'jsonpath={.items[*].status.podIP}'`)).toEqual({ words: ['get', 'pods', '-o', 'jsonpath={.items[*].status.podIP}'] });
    expect(splitWords(`label pod a "team=a b" x\\ y $HOME`)).toEqual({ words: ['label', 'pod', 'a', 'team=a b', 'x y', '$HOME'] });
    expect(splitWords(`annotate pod a note="say \\"hi\\""`)).toEqual({ words: ['annotate', 'pod', 'a', 'note=say "hi"'] });
  });

  it('says where a quote is left open', () => {
    expect(splitWords(`get pods -l 'app=web`)).toEqual({ error: "unterminated ' at column 13" });
  });

  it('reads back what shellQuote writes', () => {
    const words = ['a b', "it's", '', '{.x}'];
    expect(splitWords(words.map(shellQuote).join(' '))).toEqual({ words });
  });
});
