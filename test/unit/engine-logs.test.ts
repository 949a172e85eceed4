import { describe, expect, it } from 'vitest';
import { lineSplitter, logPrefixes, mergeByTime } from '../../toolkit/engine/logs.ts';
import { demuxBuffer } from '../../toolkit/engine/query.ts';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('log plumbing', () => {
  it('prefixes replicas with their number, single services with their name, at one width', () => {
    const p = logPrefixes([
      { id: 'a', service: 'inference', number: 1 },
      { id: 'b', service: 'inference', number: 12 },
      { id: 'c', service: 'storage', number: 1 },
    ]);
    expect(p.get('a')).toBe('[inference 1]  ');
    expect(p.get('b')).toBe('[inference 12] ');
    expect(p.get('c')).toBe('[storage]      ');
  });

  it('splits chunks into whole lines, holding a partial line until its end', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.write(Buffer.from('one\ntw'));
    expect(lines).toEqual(['one']);
    s.write(Buffer.from('o\r\nthree'));
    s.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('merges several containers by timestamp', () => {
    const merged = mergeByTime([
      [
        { time: '2026-01-01T00:00:01.000000000Z', text: 'a1' },
        { time: '2026-01-01T00:00:03.000000000Z', text: 'a3' },
      ],
      [{ time: '2026-01-01T00:00:02.000000000Z', text: 'b2' }],
    ]);
    expect(merged.map((l) => l.text)).toEqual(['a1', 'b2', 'a3']);
  });

  it('demultiplexes Docker frames, and passes TTY output through', () => {
    expect(demuxBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demuxBuffer(Buffer.from('plain text\n'))).toBe('plain text\n');
  });
});
