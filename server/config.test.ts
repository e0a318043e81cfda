import { describe, expect, it, vi } from 'vitest';
import { readConfig } from './config.ts';

describe('configuration', () => {
  it('spins while the other model thread is idle by default (auto); true and false always and never; the old LM_SPIN_WAIT is read with a warning', () => {
    expect(readConfig({}).SPIN_WAIT).toBe('auto');
    expect(readConfig({ SPIN_WAIT: 'false' }).SPIN_WAIT).toBe(false);
    expect(readConfig({ SPIN_WAIT: 'true' }).SPIN_WAIT).toBe(true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(readConfig({ LM_SPIN_WAIT: 'false' }).SPIN_WAIT).toBe(false);
    expect(readConfig({ LM_SPIN_WAIT: 'false', SPIN_WAIT: 'true' }).SPIN_WAIT).toBe(true); // the new name wins
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('use SPIN_WAIT'));
    warn.mockRestore();
  });

  it('says which setting is wrong', () => {
    expect(() => readConfig({ SPIN_WAIT: 'yes' })).toThrow(/SPIN_WAIT/);
    expect(() => readConfig({ GROUNDED: 'base' })).toThrow(/GROUNDED lists modes with passages/);
    expect(() => readConfig({ ABSTAIN_BELOW_CONFIDENCE: '2' })).toThrow(/ABSTAIN_BELOW_CONFIDENCE/);
  });
});
