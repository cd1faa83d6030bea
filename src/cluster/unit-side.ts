// Where one unit of a routed session runs (cluster/statement-router.ts): a unit is a simple Query, or
// extended-protocol messages up to and including Sync. It runs on the follower's standby engine only
// when that cannot change what the client sees: the leader's session is idle (no transaction to be
// part of), every statement in it is read-only (statement-kind.ts), and every prepared statement or
// portal it names exists on the standby's session.
import { BodyCursor, Msg, PgMessage } from './pg-messages';
import { scanLiterals } from '../sql/literal-params';
import { QueryKind, classifyQuery } from './statement-kind';

/** A named prepared statement: the Parse that made it, and the sessions that hold it. */
export interface PreparedName {
  parse: Buffer;
  local: boolean;
  leader: boolean;
}

/** The router's knowledge of prepared statements, by name ('' is the unnamed one). */
export type PreparedNames = Map<string, PreparedName>;

/** What the router reads out of a unit's messages. */
export interface UnitFacts {
  /** Classification of every Query text and Parse text in the unit, merged. */
  kind: QueryKind;
  /** Statements the unit's Parse messages create, name → Parse bytes. */
  parses: Map<string, Buffer>;
  /** Statements the unit uses (Bind, Describe 'S') without parsing them itself. */
  uses: Set<string>;
  /** Statements the unit closes. */
  closes: Set<string>;
  /** A portal is used that the unit did not bind (only the leader can hold one: portals end with their transaction). */
  foreignPortal: boolean;
  /** A message that only the leader handles (Function Call, COPY data, Flush). */
  leaderOnly: boolean;
  /** The unit executes something (a Parse/Describe-only unit changes no setting). */
  executes: boolean;
}

const classified = new Map<string, QueryKind>();

/**
 * The parser is not free (some 15 µs for a short statement), and the same statements come again and
 * again: a driver's prepared texts, and simple queries that differ only in numeric literals
 * ("... WHERE aid = 17", as pgbench sends them). Those share one entry under their literal key
 * (sql/literal-params.ts, as the engine's statement cache does): nothing in a classification depends on
 * a numeric literal's value except the texts to mirror, so a kind with texts to mirror is kept under
 * its exact text instead (a key holds NUL markers, which no text has, so the two never collide).
 */
export function classify(sql: string): QueryKind {
  const scan = scanLiterals(sql);
  const shape = scan === null || scan.literals.length === 0 ? sql : scan.key;
  let k = classified.get(shape) ?? (shape === sql ? undefined : classified.get(sql));
  if (k === undefined) {
    k = classifyQuery(sql);
    if (classified.size > 2000) classified.clear();
    classified.set(k.mirror.length === 0 ? shape : sql, k);
  }
  return k;
}

function merge(into: QueryKind, k: QueryKind): void {
  if (!k.readOnly) into.readOnly = false;
  into.mirror.push(...k.mirror);
  if (k.createsTemp) into.createsTemp = true;
  if (k.dropsAllPrepared) into.dropsAllPrepared = true;
  into.dropsPrepared.push(...k.dropsPrepared);
}

export function unitFacts(unit: PgMessage[]): UnitFacts {
  const facts: UnitFacts = {
    kind: { readOnly: true, mirror: [], createsTemp: false, dropsAllPrepared: false, dropsPrepared: [] },
    parses: new Map(),
    uses: new Set(),
    closes: new Set(),
    foreignPortal: false,
    leaderOnly: false,
    executes: false,
  };
  const portals = new Set<string>();
  for (const m of unit) {
    const r = new BodyCursor(m.bytes);
    switch (m.type) {
      case Msg.query:
        merge(facts.kind, classify(r.cstring()));
        facts.executes = true;
        break;
      case Msg.parse: {
        const name = r.cstring();
        merge(facts.kind, classify(r.cstring()));
        facts.parses.set(name, m.bytes);
        break;
      }
      case Msg.bind: {
        const portal = r.cstring();
        const stmt = r.cstring();
        portals.add(portal);
        if (!facts.parses.has(stmt)) facts.uses.add(stmt);
        break;
      }
      case Msg.describe: {
        const what = r.byte();
        const name = r.cstring();
        if (what === 0x53 && !facts.parses.has(name)) facts.uses.add(name);
        if (what === 0x50 && !portals.has(name)) facts.foreignPortal = true;
        break;
      }
      case Msg.execute:
        if (!portals.has(r.cstring())) facts.foreignPortal = true;
        facts.executes = true;
        break;
      case Msg.close: {
        const what = r.byte();
        const name = r.cstring();
        if (what === 0x53) facts.closes.add(name);
        else if (!portals.has(name)) facts.foreignPortal = true;
        break;
      }
      case Msg.sync:
        break;
      default:
        facts.leaderOnly = true;
    }
  }
  return facts;
}

/**
 * Whether the unit may run on the standby's session. `leaderIdle`: the leader's last ReadyForQuery
 * said 'I'; the caller has already checked that the standby is there and in sync.
 */
export function runsLocally(facts: UnitFacts, names: PreparedNames, leaderIdle: boolean): boolean {
  if (!leaderIdle || facts.leaderOnly || facts.foreignPortal || !facts.kind.readOnly) return false;
  for (const name of facts.uses) if (names.get(name)?.local !== true) return false;
  // Parsing a name that exists is an error (42P05) that the session holding it must give; the
  // unnamed statement is replaced freely.
  for (const name of facts.parses.keys()) if (name !== '' && names.get(name)?.leader === true) return false;
  return true;
}
