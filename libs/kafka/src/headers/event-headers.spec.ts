import { eventHeaders } from './event-headers';

describe('the headers of a published event', () => {
  const event = {
    eventId: '9b2f7c1e-3a44-4d8e-b1a0-5c6d7e8f9a01',
    eventType: 'SubsidyApplicationSubmitted',
    schemaName: 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted',
    caseId: 'SUB-500111-2026-000123',
    correlationId: 'corr-1',
    sourceRegion: '500111',
    targetRegion: '510000',
    occurredAt: '2026-11-02T01:30:00+08:00',
  };

  it('carries the CloudEvents binary-mode attributes beside tongban’s own', () => {
    expect(eventHeaders(event)).toEqual({
      'tongban-event-id': event.eventId,
      'tongban-event-type': 'SubsidyApplicationSubmitted',
      'tongban-correlation-id': 'corr-1',
      'tongban-source-region': '500111',
      'tongban-target-region': '510000',
      ce_specversion: '1.0',
      ce_id: event.eventId,
      ce_type: 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted',
      ce_source: 'urn:tongban:division:500111',
      ce_time: '2026-11-01T17:30:00.000Z',
      ce_subject: 'SUB-500111-2026-000123',
      'content-type': 'application/avro',
    });
  });
});
