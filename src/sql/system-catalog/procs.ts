// pg_proc rows: the built-in functions and aggregates Tessera implements (one row per signature it
// accepts), all in pg_catalog, so \df and drivers that list functions see what exists.
import { FIRST_PROC_OID, Oids } from './oids';
import { Scalar } from '../../types/vector';
import { formatTypeOid } from '../../types/pg-types';

// name, kind (f function / a aggregate), result type oid, argument type oids
type Proc = [string, 'f' | 'a', number, number[]];

const TEXT = 25;
const INT4 = 23;
const INT8 = 20;
const NUM = 1700;
const F8 = 701;
const BOOL = 16;
const TS = 1114;
const TSTZ = 1184;
const OID = 26;
const NAME = 19;
const ANY = 2283; // anyelement

const PROCS: Proc[] = [
  ['abs', 'f', NUM, [NUM]], ['abs', 'f', F8, [F8]], ['abs', 'f', INT4, [INT4]], ['abs', 'f', INT8, [INT8]],
  ['array_to_string', 'f', TEXT, [2277, TEXT]],
  ['avg', 'a', NUM, [INT4]], ['avg', 'a', NUM, [INT8]], ['avg', 'a', NUM, [NUM]], ['avg', 'a', F8, [F8]],
  ['bool_and', 'a', BOOL, [BOOL]], ['bool_or', 'a', BOOL, [BOOL]],
  ['btrim', 'f', TEXT, [TEXT]], ['btrim', 'f', TEXT, [TEXT, TEXT]],
  ['ceil', 'f', NUM, [NUM]], ['ceil', 'f', F8, [F8]], ['ceiling', 'f', NUM, [NUM]], ['ceiling', 'f', F8, [F8]],
  ['char_length', 'f', INT4, [TEXT]], ['character_length', 'f', INT4, [TEXT]],
  ['col_description', 'f', TEXT, [OID, INT4]],
  ['concat', 'f', TEXT, [2276]], ['concat_ws', 'f', TEXT, [TEXT, 2276]],
  ['count', 'a', INT8, []], ['count', 'a', INT8, [2276]],
  ['current_database', 'f', NAME, []], ['current_schema', 'f', NAME, []], ['current_schemas', 'f', 1003, [BOOL]],
  ['current_setting', 'f', TEXT, [TEXT]], ['current_setting', 'f', TEXT, [TEXT, BOOL]], ['current_user', 'f', NAME, []],
  ['date_part', 'f', F8, [TEXT, TS]], ['date_part', 'f', F8, [TEXT, TSTZ]], ['date_trunc', 'f', TS, [TEXT, TS]], ['date_trunc', 'f', TSTZ, [TEXT, TSTZ]],
  ['every', 'a', BOOL, [BOOL]], ['exp', 'f', NUM, [NUM]], ['exp', 'f', F8, [F8]], ['extract', 'f', NUM, [TEXT, TS]],
  ['floor', 'f', NUM, [NUM]], ['floor', 'f', F8, [F8]], ['format_type', 'f', TEXT, [OID, INT4]],
  ['has_database_privilege', 'f', BOOL, [TEXT, TEXT]], ['has_schema_privilege', 'f', BOOL, [TEXT, TEXT]], ['has_table_privilege', 'f', BOOL, [TEXT, TEXT]],
  ['left', 'f', TEXT, [TEXT, INT4]], ['length', 'f', INT4, [TEXT]], ['ln', 'f', NUM, [NUM]], ['ln', 'f', F8, [F8]],
  ['lower', 'f', TEXT, [TEXT]], ['lpad', 'f', TEXT, [TEXT, INT4]], ['lpad', 'f', TEXT, [TEXT, INT4, TEXT]], ['ltrim', 'f', TEXT, [TEXT]], ['ltrim', 'f', TEXT, [TEXT, TEXT]],
  ['max', 'a', ANY, [ANY]], ['md5', 'f', TEXT, [TEXT]], ['min', 'a', ANY, [ANY]], ['mod', 'f', NUM, [NUM, NUM]], ['mod', 'f', INT4, [INT4, INT4]],
  ['now', 'f', TSTZ, []], ['obj_description', 'f', TEXT, [OID, NAME]], ['octet_length', 'f', INT4, [TEXT]],
  ['pg_backend_pid', 'f', INT4, []], ['pg_encoding_to_char', 'f', NAME, [INT4]], ['pg_get_constraintdef', 'f', TEXT, [OID, BOOL]],
  ['pg_get_expr', 'f', TEXT, [194, OID, BOOL]], ['pg_get_indexdef', 'f', TEXT, [OID, INT4, BOOL]], ['pg_get_userbyid', 'f', NAME, [OID]],
  ['pg_table_is_visible', 'f', BOOL, [OID]], ['position', 'f', INT4, [TEXT, TEXT]], ['power', 'f', NUM, [NUM, NUM]], ['power', 'f', F8, [F8, F8]],
  ['quote_ident', 'f', TEXT, [TEXT]], ['repeat', 'f', TEXT, [TEXT, INT4]], ['replace', 'f', TEXT, [TEXT, TEXT, TEXT]], ['reverse', 'f', TEXT, [TEXT]],
  ['right', 'f', TEXT, [TEXT, INT4]], ['round', 'f', NUM, [NUM]], ['round', 'f', NUM, [NUM, INT4]], ['round', 'f', F8, [F8]],
  ['rpad', 'f', TEXT, [TEXT, INT4]], ['rpad', 'f', TEXT, [TEXT, INT4, TEXT]], ['rtrim', 'f', TEXT, [TEXT]], ['rtrim', 'f', TEXT, [TEXT, TEXT]],
  ['sign', 'f', NUM, [NUM]], ['sign', 'f', F8, [F8]], ['sqrt', 'f', NUM, [NUM]], ['sqrt', 'f', F8, [F8]],
  ['stddev', 'a', NUM, [NUM]], ['stddev_samp', 'a', NUM, [NUM]], ['string_agg', 'a', TEXT, [TEXT, TEXT]], ['strpos', 'f', INT4, [TEXT, TEXT]],
  ['substr', 'f', TEXT, [TEXT, INT4]], ['substr', 'f', TEXT, [TEXT, INT4, INT4]], ['substring', 'f', TEXT, [TEXT, INT4]], ['substring', 'f', TEXT, [TEXT, INT4, INT4]],
  ['sum', 'a', INT8, [INT4]], ['sum', 'a', NUM, [INT8]], ['sum', 'a', NUM, [NUM]], ['sum', 'a', F8, [F8]],
  ['to_regclass', 'f', 2205, [TEXT]], ['trunc', 'f', NUM, [NUM]], ['trunc', 'f', NUM, [NUM, INT4]], ['trunc', 'f', F8, [F8]],
  ['upper', 'f', TEXT, [TEXT]], ['var_samp', 'a', NUM, [NUM]], ['variance', 'a', NUM, [NUM]], ['version', 'f', TEXT, []],
];

export function procRows(): Record<string, Scalar>[] {
  return PROCS.map(([name, kind, ret, args], i) => ({
    oid: FIRST_PROC_OID + i,
    proname: name,
    pronamespace: Oids.pgCatalog,
    proowner: Oids.postgres,
    prolang: Oids.internalLanguage,
    procost: 1,
    prorows: 0,
    provariadic: 0,
    prosupport: 0,
    prokind: kind,
    prosecdef: false,
    proleakproof: false,
    proisstrict: true,
    proretset: false,
    provolatile: 'i',
    proparallel: 's',
    pronargs: args.length,
    pronargdefaults: 0,
    prorettype: ret,
    proargtypes: args.join(' '),
    prosrc: name,
  }));
}

/** pg_get_function_result / pg_get_function_arguments texts by proc oid. */
export function procSignatures(): { oid: number; result: string; args: string }[] {
  return PROCS.map(([, , ret, args], i) => ({
    oid: FIRST_PROC_OID + i,
    result: procTypeName(ret),
    args: args.map(procTypeName).join(', '),
  }));
}

function procTypeName(oid: number): string {
  const pseudo: Record<number, string> = { 2283: 'anyelement', 2276: '"any"', 2277: 'anyarray', 1003: 'name[]' };
  return pseudo[oid] ?? formatTypeOid(oid, -1);
}
