import { DeadlineRule, formatDeadlineRule, parseDeadlineRule } from '@tongban/calendar';

/**
 * Service deadlines (domain.md marks them as assumptions: configuration, not law). The divorce cooling-off
 * period and the appearance window are law (Civil Code art. 1077) and live in the marriage state machine.
 */
export interface DeadlinesConfig {
  subsidyAcknowledge: DeadlineRule;
  subsidyDecide: DeadlineRule;
  subsidyMaterials: DeadlineRule;
  maritalStatusCheck: DeadlineRule;
  remainsTransportAnswer: DeadlineRule;
  funeralSubsidyDecide: DeadlineRule;
  economicCheckAnswer: DeadlineRule;
}

export const DEFAULT_DEADLINES: Readonly<DeadlinesConfig> = Object.freeze<DeadlinesConfig>({
  subsidyAcknowledge: { unit: 'working-days', amount: 2 },
  subsidyDecide: { unit: 'working-days', amount: 20 },
  subsidyMaterials: { unit: 'calendar-days', amount: 30 },
  maritalStatusCheck: { unit: 'working-days', amount: 1 },
  remainsTransportAnswer: { unit: 'hours', amount: 4 },
  funeralSubsidyDecide: { unit: 'working-days', amount: 10 },
  economicCheckAnswer: { unit: 'working-days', amount: 10 },
});

export const DEADLINES_ENV = 'TONGBAN_DEADLINES';

/**
 * Reads overrides such as `subsidyAcknowledge=3wd,subsidyMaterials=45d,remainsTransportAnswer=12h`
 * (wd working days, d calendar days, h hours); unnamed deadlines keep their defaults.
 */
export function parseDeadlines(text: string | undefined): DeadlinesConfig {
  const config: DeadlinesConfig = { ...DEFAULT_DEADLINES };
  for (const raw of (text ?? '').split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const [name, value] = item.split('=').map((s) => s.trim());
    if (!(name in DEFAULT_DEADLINES)) {
      throw new RangeError(`${DEADLINES_ENV}: unknown deadline "${name}" in "${item}"; known: ${Object.keys(DEFAULT_DEADLINES).join(', ')}`);
    }
    const rule = value === undefined ? undefined : parseDeadlineRule(value);
    if (!rule) throw new RangeError(`${DEADLINES_ENV}: "${item}" needs a value like 2wd, 30d or 24h`);
    config[name as keyof DeadlinesConfig] = rule;
  }
  return config;
}

export function formatDeadlines(config: DeadlinesConfig): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${formatDeadlineRule(v)}`)
    .join(',');
}
