import { describe, expect, it } from 'vitest';
import { passagesRead } from '../answer/index.ts';
import { MODES, serviceMode } from './modes.ts';

describe('serviceMode', () => {
  it('asks the oracle of rag with the gold paragraph given, and passes the others through', () => {
    expect(serviceMode('oracle+grounded')).toEqual({ mode: 'rag', grounded: true, oracle: true });
    expect(serviceMode('hybrid')).toEqual({ mode: 'hybrid', grounded: false, oracle: false });
    expect(serviceMode('mac+grounded')).toEqual({ mode: 'mac', grounded: true, oracle: false });
  });
});

describe('passagesRead', () => {
  const read = (mode: (typeof MODES)[number], reader = true) => {
    const asked = serviceMode(mode);
    return passagesRead({ mode: asked.mode, reader: reader && asked.grounded, givenPassages: asked.oracle, ragK: 1, readerPassages: 2 });
  };

  it('reads more passages than the prompt holds only where a grounded rag or hybrid answer has a reader', () => {
    expect(MODES.filter((m) => read(m) > 1)).toEqual(['rag+grounded', 'hybrid+grounded']);
    expect(MODES.filter((m) => read(m, false) > 1)).toEqual([]);
  });

  it('never reads fewer than the prompt holds', () => {
    expect(passagesRead({ mode: 'rag', reader: true, givenPassages: false, ragK: 3, readerPassages: 2 })).toBe(3);
  });
});
