// SqlError is the only error type that reaches the wire. Anything else thrown is a bug and is
// reported as XX000 internal_error while the session stays alive.

/** SQLSTATE codes from PostgreSQL's errcodes.txt that Tessera raises. */
export const SqlState = {
  successfulCompletion: '00000',
  warning: '01000',
  noData: '02000',
  featureNotSupported: '0A000',
  invalidTransactionState: '25000',
  activeSqlTransaction: '25001',
  noActiveSqlTransaction: '25P01',
  inFailedSqlTransaction: '25P02',
  readOnlySqlTransaction: '25006',
  invalidAuthorizationSpecification: '28000',
  invalidPassword: '28P01',
  cardinalityViolation: '21000',
  dataException: '22000',
  arraySubscriptError: '2202E',
  stringDataRightTruncation: '22001',
  numericValueOutOfRange: '22003',
  nullValueNotAllowed: '22004',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  invalidParameterValue: '22023',
  divisionByZero: '22012',
  invalidTextRepresentation: '22P02',
  invalidRegularExpression: '2201B',
  badCopyFileFormat: '22P04',
  invalidEscapeSequence: '22025',
  characterNotInRepertoire: '22021',
  untranslatableCharacter: '22P05',
  invalidBinaryRepresentation: '22P03',
  stackDepthLimitExceeded: '54001',
  invalidRowCountInLimitClause: '2201W',
  invalidRowCountInResultOffsetClause: '2201X',
  invalidArgumentForLogarithm: '2201E',
  invalidArgumentForPowerFunction: '2201F',
  substringError: '22011',
  invalidPrecedingOrFollowingSize: '22013',
  invalidArgumentForNtile: '22014',
  invalidArgumentForNthValue: '22016',
  integrityConstraintViolation: '23000',
  notNullViolation: '23502',
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  checkViolation: '23514',
  sequenceGeneratorLimitExceeded: '2200H',
  generatedAlways: '428C9',
  invalidColumnDefinition: '42611',
  syntaxErrorOrAccessRuleViolation: '42000',
  invalidCursorName: '34000',
  invalidSqlStatementName: '26000',
  duplicatePreparedStatement: '42P05',
  serializationFailure: '40001',
  invalidSavepointSpecification: '3B001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  syntaxError: '42601',
  insufficientPrivilege: '42501',
  undefinedColumn: '42703',
  undefinedFunction: '42883',
  undefinedTable: '42P01',
  undefinedParameter: '42P02',
  undefinedObject: '42704',
  undefinedSchema: '3F000',
  duplicateColumn: '42701',
  duplicateTable: '42P07',
  duplicateObject: '42710',
  ambiguousColumn: '42702',
  ambiguousFunction: '42725',
  datatypeMismatch: '42804',
  groupingError: '42803',
  wrongObjectType: '42809',
  invalidColumnReference: '42P10',
  indeterminateDatatype: '42P18',
  invalidTableDefinition: '42P16',
  cannotCoerce: '42846',
  invalidName: '42602',
  windowingError: '42P20',
  invalidRecursion: '42P19',
  dependentObjectsStillExist: '2BP01',
  protocolViolation: '08P01',
  connectionException: '08000',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  undefinedDatabase: '3D000',
  outOfMemory: '53200',
  programLimitExceeded: '54000',
  tooManyConnections: '53300',
  /** Tessera's own: a cluster standby's statement would fetch more than standby_fetch_limit (its router then runs it on the leader). */
  standbyFetchLimit: '53T01',
  objectNotInPrerequisiteState: '55000',
  /** SET of a setting fixed at server start. */
  cantChangeRuntimeParam: '55P02',
  internalError: 'XX000',
  dataCorrupted: 'XX001',
  ioError: '58030',
} as const;

export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export interface SqlErrorOptions {
  /** 1-based character position in the statement text (syntax errors, undefined columns). */
  position?: number;
  detail?: string;
  hint?: string;
  severity?: 'ERROR' | 'FATAL' | 'PANIC';
  /** Names for the error fields PostgreSQL sends with constraint violations. */
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

export class SqlError extends Error {
  readonly code: SqlStateCode;
  readonly position?: number;
  readonly detail?: string;
  readonly hint?: string;
  readonly severity: 'ERROR' | 'FATAL' | 'PANIC';
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly schema?: string;

  constructor(code: SqlStateCode, message: string, options: SqlErrorOptions = {}) {
    super(message);
    this.name = 'SqlError';
    this.code = code;
    this.position = options.position;
    this.detail = options.detail;
    this.hint = options.hint;
    this.severity = options.severity ?? 'ERROR';
    this.table = options.table;
    this.column = options.column;
    this.constraint = options.constraint;
    this.schema = options.schema;
  }
}

/** Wraps anything thrown into a SqlError; a non-SqlError is an internal bug (XX000). */
export function toSqlError(err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SqlError(SqlState.internalError, message);
}

export function notSupported(what: string): SqlError {
  return new SqlError(SqlState.featureNotSupported, `${what} is not supported`);
}
