// Transactions above storage: isolation levels, row write locks, SERIALIZABLE commit validation.
// May import: sql and below. The engine's sessions use these; storage does the versioning.
export * from './isolation';
export * from './row-locks';
export * from './commit-log';
