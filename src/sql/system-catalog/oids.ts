// Stable OIDs for what the system catalogs describe. User tables and views keep the OID storage gave
// them (from 16384 up); objects storage has no OID for (primary-key indexes, their constraints,
// column defaults) get one derived from their table's OID, so the same object has the same OID in
// every statement and session.

export const Oids = {
  // namespaces
  pgCatalog: 11,
  pgToast: 99,
  public: 2200,
  informationSchema: 13000,
  // roles
  postgres: 10,
  pgDatabaseOwner: 6171,
  // the database
  database: 5,
  // access methods
  heap: 2,
  btree: 403,
  hash: 405,
  // collations
  defaultCollation: 100,
  cCollation: 950,
  posixCollation: 951,
  // languages
  internalLanguage: 12,
  sqlLanguage: 14,
} as const;

/** Oids of namespaces other than the fixed ones (schemas named by user tables), from here up. */
export const FIRST_EXTRA_NAMESPACE = 13100;

/** The primary-key index of table `tableOid`. */
export function primaryKeyIndexOid(tableOid: number): number {
  return 1_000_000 + tableOid;
}
/** The primary-key constraint of table `tableOid`. */
export function primaryKeyConstraintOid(tableOid: number): number {
  return 2_000_000 + tableOid;
}
/** The pg_attrdef row of column `attnum` of table `tableOid`. */
export function attrdefOid(tableOid: number, attnum: number): number {
  return 3_000_000 + (tableOid - 16384) * 1600 + attnum;
}
/** Built-in functions listed in pg_proc: 1_200_000 + their position in the sorted list. */
export const FIRST_PROC_OID = 1_200_000;
