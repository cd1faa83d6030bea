// Transactions above storage: isolation levels, row and table locks, SERIALIZABLE commit validation.
// May import: sql and below. The engine's sessions use these; storage does the versioning.
export * from './isolation';
export * from './row-locks';
export * from './table-locks';
export * from './wait-graph';
export * from './commit-log';
