/**
 * China's public holidays and make-up working days for 2026, as published by the General Office of the
 * State Council on 2025-11-04 (国务院办公厅关于2026年部分节假日安排的通知). Later years are added through
 * TONGBAN_CALENDAR once their notice is out; without one, only weekends are rest days.
 */
export const CHINA_2026_CALENDAR_SPEC = [
  'holidays=' +
    [
      '2026-01-01..2026-01-03', // 元旦
      '2026-02-15..2026-02-23', // 春节
      '2026-04-04..2026-04-06', // 清明节
      '2026-05-01..2026-05-05', // 劳动节
      '2026-06-19..2026-06-21', // 端午节
      '2026-09-25..2026-09-27', // 中秋节
      '2026-10-01..2026-10-07', // 国庆节
    ].join(','),
  'workdays=' + ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'].join(','),
].join(';');
