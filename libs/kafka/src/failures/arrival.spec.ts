import { ARRIVAL_HEADERS, arrivalHeaders, arrivalOf, writerDivision } from './arrival';

const sichuanWrote = { 'tongban-source-region': '510104', ce_source: 'urn:tongban:division:510104' };

describe('how a failed record arrived', () => {
  it.each([
    ['a Sichuan record in a Chongqing inbox', 'tongban.500000.inbox', sichuanWrote, { via: 'link', province: '510000' }],
    ['the same after a retry', 'tongban.500000.inbox.retry.2', sichuanWrote, { via: 'link', province: '510000' }],
    ['a Chongqing record in a Chongqing city node inbox', 'tongban.500100.inbox', { 'tongban-source-region': '500103' }, { via: 'local', province: '500000' }],
    ['a Sichuan record in a Sichuan inbox', 'tongban.510000.inbox', sichuanWrote, { via: 'local', province: '510000' }],
    ["a node's own copies", 'tongban.500000.local', sichuanWrote, { via: 'local', province: '500000' }],
    [
      'a record naming its writer only as a CloudEvents source',
      't-abc.500000.inbox',
      { ce_source: 'urn:tongban:division:510000' },
      { via: 'link', province: '510000' },
    ],
    ['a record naming no writer', 'tongban.500000.inbox', {}, { via: 'unknown' }],
    ['a record whose source is not a division', 'tongban.500000.inbox', { 'tongban-source-region': 'sichuan' }, { via: 'unknown' }],
    ['a topic that is not an inbox', 'partners.events', sichuanWrote, { via: 'unknown' }],
  ])('%s', (_what, topic, headers, expected) => {
    expect(arrivalOf(topic, headers)).toEqual(expected);
  });

  it('prefers tongban-source-region to ce_source', () => {
    expect(writerDivision({ 'tongban-source-region': '500103', ce_source: 'urn:tongban:division:510104' })).toBe('500103');
  });

  it('names the link and the writing province in headers', () => {
    expect(arrivalHeaders({ via: 'link', province: '510000' })).toEqual({ [ARRIVAL_HEADERS.via]: 'link', [ARRIVAL_HEADERS.from]: '510000' });
    expect(arrivalHeaders({ via: 'unknown' })).toEqual({ 'tongban-arrived-via': 'unknown' });
  });
});
