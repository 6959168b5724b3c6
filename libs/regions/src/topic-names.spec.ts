import { topics } from './topic-names';

describe('topic names read back', () => {
  it.each([
    [topics.inbox('tb', '500000'), { namespace: 'tb', node: '500000', kind: 'inbox', mainTopic: 'tb.500000.inbox', level: 0, deadLetter: false }],
    [
      topics.local('t-x.tongban', '510100'),
      { namespace: 't-x.tongban', node: '510100', kind: 'local', mainTopic: 't-x.tongban.510100.local', level: 0, deadLetter: false },
    ],
    [topics.retry(topics.inbox('tb', '510000'), 2), { node: '510000', kind: 'inbox', mainTopic: 'tb.510000.inbox', level: 2, deadLetter: false }],
    [topics.dlq(topics.local('tb', '510000')), { node: '510000', kind: 'local', mainTopic: 'tb.510000.local', level: 0, deadLetter: true }],
  ])('%s', (topic, expected) => {
    expect(topics.parse(topic)).toMatchObject(expected);
  });

  it.each(['tb.500000.outbox', '500000.inbox', 'tb.5000.inbox', 'tb.500000.inbox.extra'])('%s is no node topic', (topic) => {
    expect(topics.parse(topic)).toBeUndefined();
  });

  it('finds the main topic and stage of any topic on the failure path', () => {
    expect(topics.stage('orders.retry.3')).toEqual({ mainTopic: 'orders', level: 3, deadLetter: false });
    expect(topics.stage('orders.dlq')).toEqual({ mainTopic: 'orders', level: 0, deadLetter: true });
    expect(topics.stage('orders')).toEqual({ mainTopic: 'orders', level: 0, deadLetter: false });
  });

  it('matches the inboxes of the given nodes and nothing else', () => {
    const pattern = topics.inboxPattern('t-1.tongban', ['510000', '500000']);
    expect([topics.inbox('t-1.tongban', '510000'), topics.inbox('t-1.tongban', '500000')].every((t) => pattern.test(t))).toBe(true);
    for (const other of [
      topics.inbox('t-1.tongban', '510100'),
      topics.local('t-1.tongban', '510000'),
      topics.dlq(topics.inbox('t-1.tongban', '510000')),
      't-1xtongban.510000.inbox',
    ]) {
      expect(pattern.test(other)).toBe(false);
    }
  });
});
