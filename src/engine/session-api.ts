// The engine's contract with its front ends: the wire protocol server (src/wire) and the embedded
// API (src/embedded) are both thin adapters over Session.
import { DataType } from '../types/data-type';
import { Batch, Scalar } from '../types/vector';
import { FormatSettings } from '../types/text-format';

/** One column of a result, as RowDescription describes it. */
export interface Field {
  name: string;
  type: DataType;
  /** pg_class OID of the source table, 0 when computed. */
  tableOid: number;
  /** Attribute number in the source table (1-based), 0 when computed. */
  columnAttr: number;
}

/** A statement parsed and analyzed once, executed many times (extended protocol, prepared statements). */
export interface PreparedStatement {
  readonly sql: string;
  /** Parameter types, given by the client or inferred from context ($1 compared to an int4 column → int4). */
  readonly paramTypes: DataType[];
  /** Result columns, or null when the statement returns no rows (NoData). */
  readonly fields: Field[] | null;
  /** True for an empty query string (EmptyQueryResponse). */
  readonly isEmpty: boolean;
}

/** A statement's outcome. */
export type ExecuteResult =
  | {
      kind: 'rows';
      fields: Field[];
      /** All result rows (materialized); the wire slices them for Execute with a row limit. */
      batches: Batch[];
      rowCount: number;
      /** Command tag on completion, e.g. "SELECT 3", "INSERT 0 2" (RETURNING), "UPDATE 1". */
      command: string;
    }
  | { kind: 'command'; command: string }
  | { kind: 'empty' }
  | { kind: 'copyIn'; columnCount: number; format: 'text' | 'csv' | 'binary'; sink: CopyInSink }
  | { kind: 'copyOut'; columnCount: number; format: 'text' | 'csv' | 'binary'; data: Buffer[]; command: string };

/** Receives COPY FROM STDIN data as CopyData arrives; rows are loaded in batches, not one put per row. */
export interface CopyInSink {
  /** Any slice of the stream: lines may be split across calls. Throws SqlError on bad data. */
  write(chunk: Buffer): void;
  /** A promise to await before the next write when the load is ahead of storage (else null). */
  ready?(): Promise<void> | null;
  /** End of data (CopyDone): loads the rest and commits; returns the command tag "COPY n". */
  end(): Promise<string>;
  /** CopyFail from the client, or connection lost: nothing of this COPY is kept. */
  fail(message: string): void;
}

export interface Notice {
  severity: 'NOTICE' | 'WARNING' | 'INFO';
  code: string;
  message: string;
  detail?: string;
}

export interface SessionOptions {
  user: string;
  database: string;
  applicationName?: string;
  /** Other startup-packet parameters (e.g. DateStyle, TimeZone, client_encoding, options). */
  parameters?: Record<string, string>;
}

export type TransactionStatus = 'I' | 'T' | 'E';

export interface Session {
  /** ReadyForQuery status: idle, in a transaction block, or in a failed transaction block. */
  readonly transactionStatus: TransactionStatus;
  readonly processId: number;
  readonly secretKey: number;

  /** Splits a simple-query string into statements; throws SqlError (42601 with position) on a syntax error. */
  parseSimple(sql: string): PreparedStatement[];
  /** Parse message: one statement (or none); paramTypeOids as given by the client (0 = infer). */
  prepare(sql: string, paramTypeOids: number[]): PreparedStatement;
  /** Runs a statement with its parameter values (already decoded to the statement's paramTypes). */
  execute(stmt: PreparedStatement, params: Scalar[]): Promise<ExecuteResult>;
  /** Called by the wire when a simple-query message or an extended-query Sync completes, to end an implicit transaction (undefined: nothing to wait for). */
  endOfCommandGroup(): Promise<void> | undefined;
  /** Requests cancellation of the running statement (CancelRequest): it fails with 57014. */
  cancel(): void;

  /** Settings to report with ParameterStatus at startup. */
  reportedParameters(): [string, string][];
  /** Reported settings changed since the last call (SET …), to send as ParameterStatus. */
  takeParameterChanges(): [string, string][];
  /** Notices raised since the last call. */
  takeNotices(): Notice[];
  /** Current value of a setting (TimeZone, DateStyle, extra_float_digits, …), for encoders. */
  setting(name: string): string;
  /** The settings value encoders read, as one object (the same one while no setting changes). */
  formatSettings(): FormatSettings;
  close(): Promise<void>;
}

/** An open database: what the wire server and the embedded API hold. */
export interface DatabaseHandle {
  createSession(options: SessionOptions): Session;
  /** Finds a session by its BackendKeyData, for CancelRequest; undefined when the key is wrong. */
  findSession(processId: number, secretKey: number): Session | undefined;
  close(): Promise<void>;
}
