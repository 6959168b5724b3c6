import { classifyAddress, refusalFor } from './address-policy';

describe('webhook target addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:c0a8:0101::1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
  ])('classifies %s as %s', (ip, category) => {
    expect(classifyAddress(ip)).toBe(category);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2400:3200::1', '::ffff:8.8.8.8'])('lets the public address %s through', (ip) => {
    expect(classifyAddress(ip)).toBeUndefined();
    expect(refusalFor(ip, { allowLoopback: false })).toBeUndefined();
  });

  it('allows loopback only when enabled, and never a private or metadata address', () => {
    expect(refusalFor('127.0.0.1', { allowLoopback: false })).toBe('refused: loopback address');
    expect(refusalFor('127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(refusalFor('::ffff:127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(refusalFor('10.0.0.1', { allowLoopback: true })).toBe('refused: private address');
    expect(refusalFor('169.254.169.254', { allowLoopback: true })).toBe('refused: metadata address');
  });
});
