export * from './local-date';
export * from './calendar-spec';
export * from './china-2026';
export * from './working-calendar';
export * from './calendar-data';
