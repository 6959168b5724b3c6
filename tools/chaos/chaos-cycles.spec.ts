import { parseCycleArgs } from './chaos-cycles';

describe('chaos cycles: options', () => {
  it('reads cycles, components and rate, and bounds the receiver’s memory of ids', () => {
    const o = parseCycleArgs(['--cycles', '3', '--kill', 'mariadb,redis', '--rate', '100'], {});
    expect(o).toMatchObject({ cycles: 3, kill: ['mariadb', 'redis'], rate: 100, receiverMaxIds: 1_000_000 });
    expect(parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: '5000' }).receiverMaxIds).toBe(5000);
  });

  it('names a bad component and a bad bound', () => {
    expect(() => parseCycleArgs(['--kill', 'printer'], {})).toThrow(/"printer" is not one of/);
    expect(() => parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: 'all' })).toThrow(/TONGBAN_CHAOS_RECEIVER_MAX_IDS must be a whole number/);
  });
});
