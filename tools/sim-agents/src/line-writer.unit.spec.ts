import { LineWriter } from './line-writer';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LineWriter', () => {
  it('writes the lines of one turn together, in order, after the turn', async () => {
    const chunks: string[] = [];
    const out = new LineWriter((chunk) => chunks.push(chunk));
    out.line('one');
    out.line('two');
    await Promise.resolve();
    expect(chunks).toEqual([]);
    await nextTurn();
    expect(chunks).toEqual(['one\ntwo\n']);
    out.line('three');
    await nextTurn();
    expect(chunks).toEqual(['one\ntwo\n', 'three\n']);
  });

  it('flush writes what is queued at once, and the turn\'s end then writes nothing more', async () => {
    const chunks: string[] = [];
    const out = new LineWriter((chunk) => chunks.push(chunk));
    out.line('last words');
    out.flush();
    expect(chunks).toEqual(['last words\n']);
    await nextTurn();
    expect(chunks).toEqual(['last words\n']);
    out.flush();
    expect(chunks).toEqual(['last words\n']);
  });
});
