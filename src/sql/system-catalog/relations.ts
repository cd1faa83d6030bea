// The virtual, read-only system relations of pg_catalog and information_schema: their columns
// (PostgreSQL's names and types; array-valued columns hold the array's text form) and the rows
// generated from a CatalogModel. Relations Tessera has nothing for (policies, triggers, publications…)
// exist with PostgreSQL's columns and no rows, so the catalog queries of psql and drivers bind.
import { CharType, DataType, OidType, Types } from '../../types/data-type';
import { deparseView } from './view-deparse';
import { PG_TYPES, formatTypeOid } from '../../types/pg-types';
import { charLength, numericPrecision, numericScale } from '../../types/data-type';
import { Scalar } from '../../types/vector';
import { CatalogModel, ModelColumn, ModelRelation } from './catalog-model';
import { Oids, attrdefOid } from './oids';
import { procRows } from './procs';

type Row = Record<string, Scalar | undefined>;

export interface SystemRelation {
  oid: number;
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  kind: 'r' | 'v';
  columns: { name: string; type: DataType }[];
  /** Always empty in Tessera (no such objects exist). */
  alwaysEmpty: boolean;
  rows(m: CatalogModel): Row[];
}

const COLUMN_TYPES: Record<string, DataType> = {
  oid: OidType,
  name: Types.name,
  char: CharType,
  bool: Types.bool,
  int2: Types.int2,
  int4: Types.int4,
  int8: Types.int8,
  float4: Types.float4,
  float8: Types.float8,
  text: Types.text,
  timestamptz: Types.timestamptz,
  // Array-valued and internal columns: values kept as text (their text form), reported under their own type.
  int2vector: textAs(22),
  oidvector: textAs(30),
  node: textAs(194),
  'text[]': textAs(1009),
  'oid[]': textAs(1028),
  'int2[]': textAs(1005),
  'char[]': textAs(1002),
  'aclitem[]': textAs(1034),
};

function textAs(oid: number): DataType {
  return Object.freeze({ ...Types.text, oid });
}

/** 'a:oid b:name c' → columns (untyped names default to text). */
function cols(spec: string): { name: string; type: DataType }[] {
  return spec
    .trim()
    .split(/\s+/)
    .map((s) => {
      const [name, type = 'text'] = s.split(':');
      const t = COLUMN_TYPES[type];
      if (t === undefined) throw new Error(`unknown catalog column type ${type}`);
      return { name, type: t };
    });
}

const RELATIONS: SystemRelation[] = [];

function rel(schema: SystemRelation['schema'], name: string, oid: number, kind: 'r' | 'v', spec: string, rows: ((m: CatalogModel) => Row[]) | null): void {
  RELATIONS.push({ oid, schema, name, kind, columns: cols(spec), alwaysEmpty: rows === null, rows: rows ?? (() => []) });
}

const pg = (name: string, oid: number, spec: string, rows: ((m: CatalogModel) => Row[]) | null, kind: 'r' | 'v' = 'r') => rel('pg_catalog', name, oid, kind, spec, rows);

// ---- pg_catalog ----

pg('pg_namespace', 2615, 'oid:oid nspname:name nspowner:oid nspacl:aclitem[]', (m) => m.namespaces.map((n) => ({ oid: n.oid, nspname: n.name, nspowner: n.owner })));

const CLASS_SPEC =
  'oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid relfilenode:oid reltablespace:oid ' +
  'relpages:int4 reltuples:float4 relallvisible:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char ' +
  'relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool ' +
  'relforcerowsecurity:bool relispopulated:bool relreplident:char relispartition:bool relrewrite:oid relfrozenxid:int8 ' +
  'relminmxid:int8 relacl:aclitem[] reloptions:text[] relpartbound:node';
pg('pg_class', 1259, CLASS_SPEC, (m) =>
  m.relations.map((r) => ({
    oid: r.oid,
    relname: r.name,
    relnamespace: r.namespaceOid,
    reltype: 0,
    reloftype: 0,
    relowner: Oids.postgres,
    relam: r.kind === 'r' ? Oids.heap : r.kind === 'i' ? Oids.btree : 0,
    relfilenode: r.kind === 'v' ? 0 : r.oid,
    reltablespace: 0,
    relpages: 0,
    reltuples: r.table !== undefined ? m.ctx.tableRowCount(r.table.id) : -1,
    relallvisible: 0,
    reltoastrelid: 0,
    relhasindex: r.hasIndex,
    relisshared: r.schema === 'pg_catalog' && (r.name === 'pg_database' || r.name === 'pg_authid' || r.name === 'pg_tablespace'),
    relpersistence: 'p',
    relkind: r.kind,
    relnatts: r.columns.length,
    relchecks: r.table?.checks?.length ?? 0,
    relhasrules: r.kind === 'v',
    relhastriggers: false,
    relhassubclass: false,
    relrowsecurity: false,
    relforcerowsecurity: false,
    relispopulated: true,
    relreplident: r.kind === 'r' ? 'd' : 'n',
    relispartition: false,
    relrewrite: 0,
    relfrozenxid: 0,
    relminmxid: 0,
  })),
);

const ATTRIBUTE_SPEC =
  'attrelid:oid attname:name atttypid:oid attstattarget:int4 attlen:int2 attnum:int2 attndims:int4 attcacheoff:int4 ' +
  'atttypmod:int4 attbyval:bool attalign:char attstorage:char attcompression:char attnotnull:bool atthasdef:bool ' +
  'atthasmissing:bool attidentity:char attgenerated:char attisdropped:bool attislocal:bool attinhcount:int4 ' +
  'attcollation:oid attacl:aclitem[] attoptions:text[] attfdwoptions:text[] attmissingval';
pg('pg_attribute', 1249, ATTRIBUTE_SPEC, (m) => {
  const out: Row[] = [];
  for (const r of m.relations)
    r.columns.forEach((c, i) => {
      const info = PG_TYPES.find((x) => x.oid === c.type.oid);
      out.push({
        attrelid: r.oid,
        attname: c.name,
        atttypid: c.type.oid,
        attstattarget: -1,
        attlen: info?.typlen ?? c.type.typlen,
        attnum: i + 1,
        attndims: 0,
        attcacheoff: -1,
        atttypmod: c.type.typmod,
        attbyval: info?.typbyval ?? false,
        attalign: c.type.typlen === 8 ? 'd' : c.type.typlen === 2 ? 's' : c.type.typlen === 1 ? 'c' : 'i',
        attstorage: c.type.name === 'numeric' ? 'm' : c.type.typlen === -1 ? 'x' : 'p',
        attcompression: '',
        attnotnull: c.notNull,
        atthasdef: c.defaultText !== null,
        atthasmissing: false,
        attidentity: c.identity ?? '',
        attgenerated: '',
        attisdropped: false,
        attislocal: true,
        attinhcount: 0,
        attcollation: info?.collation ?? 0,
      });
    });
  return out;
});

pg('pg_attrdef', 2604, 'oid:oid adrelid:oid adnum:int2 adbin:node', (m) => {
  const out: Row[] = [];
  for (const r of m.relations)
    if (r.kind === 'r')
      r.columns.forEach((c, i) => {
        if (c.defaultText !== null) out.push({ oid: attrdefOid(r.oid, i + 1), adrelid: r.oid, adnum: i + 1, adbin: c.defaultText });
      });
  return out;
});

const TYPE_SPEC =
  'oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char typcategory:char typispreferred:bool ' +
  'typisdefined:bool typdelim:char typrelid:oid typsubscript:oid typelem:oid typarray:oid typinput:oid typoutput:oid ' +
  'typreceive:oid typsend:oid typmodin:oid typmodout:oid typanalyze:oid typalign:char typstorage:char typnotnull:bool ' +
  'typbasetype:oid typtypmod:int4 typndims:int4 typcollation:oid typdefaultbin:node typdefault typacl:aclitem[]';
pg('pg_type', 1247, TYPE_SPEC, () =>
  PG_TYPES.map((x) => ({
    oid: x.oid,
    typname: x.typname,
    typnamespace: Oids.pgCatalog,
    typowner: Oids.postgres,
    typlen: x.typlen,
    typbyval: x.typbyval,
    typtype: x.category === 'P' ? 'p' : 'b',
    typcategory: x.category,
    typispreferred: x.oid === 25 || x.oid === 701 || x.oid === 1184 || x.oid === 16 || x.oid === 26 || x.oid === 1186,
    typisdefined: true,
    typdelim: ',',
    typrelid: 0,
    typsubscript: 0,
    typelem: x.elem ?? 0,
    typarray: x.arrayOid,
    typinput: 0,
    typoutput: 0,
    typreceive: 0,
    typsend: 0,
    typmodin: 0,
    typmodout: 0,
    typanalyze: 0,
    typalign: x.typlen === 8 ? 'd' : x.typlen === 2 ? 's' : x.typlen === 1 ? 'c' : 'i',
    typstorage: x.typlen === -1 ? 'x' : 'p',
    typnotnull: false,
    typbasetype: 0,
    typtypmod: -1,
    typndims: 0,
    typcollation: x.collation,
  })),
);

const INDEX_SPEC =
  'indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool indnullsnotdistinct:bool indisprimary:bool ' +
  'indisexclusion:bool indimmediate:bool indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool ' +
  'indisreplident:bool indkey:int2vector indcollation:oidvector indclass:oidvector indoption:int2vector indexprs:node indpred:node';
pg('pg_index', 2610, INDEX_SPEC, (m) =>
  m.indexes.map((i) => ({
    indexrelid: i.oid,
    indrelid: i.table.oid,
    indnatts: i.keys.length,
    indnkeyatts: i.keys.length,
    indisunique: i.unique !== false,
    indnullsnotdistinct: false,
    indisprimary: i.primary,
    indisexclusion: false,
    indimmediate: true,
    indisclustered: false,
    indisvalid: true,
    indcheckxmin: false,
    indisready: true,
    indislive: true,
    indisreplident: false,
    indkey: i.keys.join(' '),
    indcollation: i.keys.map((k) => (i.table.columns[k - 1].type.storage === 'string' ? 100 : 0)).join(' '),
    indclass: i.keys.map(() => 0).join(' '),
    indoption: i.keys.map(() => 0).join(' '),
  })),
);

const CONSTRAINT_SPEC =
  'oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool convalidated:bool conrelid:oid ' +
  'contypid:oid conindid:oid conparentid:oid confrelid:oid confupdtype:char confdeltype:char confmatchtype:char conislocal:bool ' +
  'coninhcount:int4 connoinherit:bool conkey:int2[] confkey:int2[] conpfeqop:oid[] conppeqop:oid[] conffeqop:oid[] confdelsetcols:int2[] conexclop:oid[] conbin:node';
pg('pg_constraint', 2606, CONSTRAINT_SPEC, (m) =>
  m.constraints.map((c) => ({
    oid: c.oid,
    conname: c.name,
    connamespace: c.table.namespaceOid,
    contype: c.type,
    condeferrable: false,
    condeferred: false,
    convalidated: true,
    conrelid: c.table.oid,
    contypid: 0,
    conindid: c.indexOid,
    conparentid: 0,
    confrelid: 0,
    confupdtype: ' ',
    confdeltype: ' ',
    confmatchtype: ' ',
    conislocal: true,
    coninhcount: 0,
    connoinherit: true,
    conkey: `{${c.keys.join(',')}}`,
  })),
);

pg('pg_am', 2601, 'oid:oid amname:name amhandler:oid amtype:char', () => [
  { oid: Oids.heap, amname: 'heap', amhandler: 0, amtype: 't' },
  { oid: Oids.btree, amname: 'btree', amhandler: 0, amtype: 'i' },
  { oid: Oids.hash, amname: 'hash', amhandler: 0, amtype: 'i' },
]);

const DATABASE_SPEC =
  'oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool datallowconn:bool datconnlimit:int4 ' +
  'datfrozenxid:int8 datminmxid:int8 dattablespace:oid datcollate datctype daticulocale datcollversion datacl:aclitem[]';
pg('pg_database', 1262, DATABASE_SPEC, (m) => [
  {
    oid: Oids.database,
    datname: m.databaseName,
    datdba: Oids.postgres,
    encoding: 6,
    datlocprovider: 'c',
    datistemplate: false,
    datallowconn: true,
    datconnlimit: -1,
    datfrozenxid: 0,
    datminmxid: 1,
    dattablespace: 1663,
    datcollate: 'C',
    datctype: 'C',
  },
]);

const ROLE_COLUMNS =
  'rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool rolreplication:bool ' +
  'rolconnlimit:int4 rolpassword rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:text[] oid:oid';
const roleRows = (m: CatalogModel): Row[] =>
  m.roles.map((r) => ({
    rolname: r.name,
    rolsuper: r.superuser,
    rolinherit: true,
    rolcreaterole: r.superuser,
    rolcreatedb: r.superuser,
    rolcanlogin: r.login,
    rolreplication: r.superuser,
    rolconnlimit: -1,
    rolpassword: '********',
    rolbypassrls: r.superuser,
    oid: r.oid,
  }));
pg('pg_roles', 12001, ROLE_COLUMNS, roleRows, 'v');
pg('pg_authid', 1260, ROLE_COLUMNS, roleRows);
pg('pg_user', 12002, 'usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool passwd valuntil:timestamptz useconfig:text[]', (m) =>
  m.roles
    .filter((r) => r.login)
    .map((r) => ({ usename: r.name, usesysid: r.oid, usecreatedb: r.superuser, usesuper: r.superuser, userepl: r.superuser, usebypassrls: r.superuser, passwd: '********' })),
  'v',
);

pg(
  'pg_settings',
  12003,
  'name setting unit category short_desc extra_desc context vartype source min_val max_val enumvals boot_val reset_val sourcefile sourceline:int4 pending_restart:bool',
  (m) =>
    (m.ctx.settingNames?.() ?? []).map((name: string) => {
      const setting = m.ctx.setting(name);
      return { name, setting, context: 'user', vartype: 'string', source: 'default', boot_val: setting, reset_val: setting, pending_restart: false };
    }),
  'v',
);

pg('pg_description', 2609, 'objoid:oid classoid:oid objsubid:int4 description', null);
pg('pg_shdescription', 2396, 'objoid:oid classoid:oid description', null);
pg('pg_collation', 3456, 'oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool collencoding:int4 collcollate collctype colliculocale collversion', () => [
  { oid: Oids.defaultCollation, collname: 'default', collnamespace: Oids.pgCatalog, collowner: Oids.postgres, collprovider: 'd', collisdeterministic: true, collencoding: -1 },
  { oid: Oids.cCollation, collname: 'C', collnamespace: Oids.pgCatalog, collowner: Oids.postgres, collprovider: 'c', collisdeterministic: true, collencoding: -1, collcollate: 'C', collctype: 'C' },
  { oid: Oids.posixCollation, collname: 'POSIX', collnamespace: Oids.pgCatalog, collowner: Oids.postgres, collprovider: 'c', collisdeterministic: true, collencoding: -1, collcollate: 'POSIX', collctype: 'POSIX' },
]);
pg('pg_tablespace', 1213, 'oid:oid spcname:name spcowner:oid spcacl:aclitem[] spcoptions:text[]', () => [
  { oid: 1663, spcname: 'pg_default', spcowner: Oids.postgres },
  { oid: 1664, spcname: 'pg_global', spcowner: Oids.postgres },
]);
pg(
  'pg_proc',
  1255,
  'oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 prorows:float4 provariadic:oid prosupport:oid ' +
    'prokind:char prosecdef:bool proleakproof:bool proisstrict:bool proretset:bool provolatile:char proparallel:char pronargs:int2 ' +
    'pronargdefaults:int2 prorettype:oid proargtypes:oidvector proallargtypes:oid[] proargmodes:char[] proargnames:text[] proargdefaults:node protrftypes:oid[] prosrc probin prosqlbody proconfig:text[] proacl:aclitem[]',
  () => procRows(),
);
pg('pg_language', 2612, 'oid:oid lanname:name lanowner:oid lanispl:bool lanpltrusted:bool lanplcallfoid:oid laninline:oid lanvalidator:oid lanacl:aclitem[]', () => [
  { oid: Oids.internalLanguage, lanname: 'internal', lanowner: Oids.postgres, lanispl: false, lanpltrusted: false, lanplcallfoid: 0, laninline: 0, lanvalidator: 0 },
  { oid: Oids.sqlLanguage, lanname: 'sql', lanowner: Oids.postgres, lanispl: false, lanpltrusted: true, lanplcallfoid: 0, laninline: 0, lanvalidator: 0 },
]);
pg('pg_inherits', 2611, 'inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool', null);
pg('pg_trigger', 2620, 'oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid tgdeferrable:bool tginitdeferred:bool tgnargs:int2 tgattr:int2vector tgargs tgqual tgoldtable:name tgnewtable:name', null);
pg('pg_policy', 3256, 'oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:oid[] polqual:node polwithcheck:node', null);
pg('pg_statistic_ext', 3381, 'oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4 stxkeys:int2vector stxkind:char[] stxexprs:node', null);
pg('pg_publication', 6104, 'oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool', null);
pg('pg_publication_rel', 6106, 'oid:oid prpubid:oid prrelid:oid prqual:node prattrs:int2vector', null);
pg('pg_publication_namespace', 6237, 'oid:oid pnpubid:oid pnnspid:oid', null);
pg('pg_rewrite', 2618, 'oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool ev_qual:node ev_action:node', null);
pg('pg_depend', 2608, 'classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 deptype:char', null);
pg('pg_sequence', 2224, 'seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 seqcache:int8 seqcycle:bool', null);
pg('pg_extension', 3079, 'oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion extconfig:oid[] extcondition:text[]', null);
pg('pg_enum', 3501, 'oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name', null);
pg('pg_range', 3541, 'rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid rngsubopc:oid rngcanonical:oid rngsubdiff:oid', null);
pg('pg_foreign_table', 3118, 'ftrelid:oid ftserver:oid ftoptions:text[]', null);
pg('pg_foreign_server', 1417, 'oid:oid srvname:name srvowner:oid srvfdw:oid srvtype srvversion srvacl:aclitem[] srvoptions:text[]', null);
pg('pg_foreign_data_wrapper', 2328, 'oid:oid fdwname:name fdwowner:oid fdwhandler:oid fdwvalidator:oid fdwacl:aclitem[] fdwoptions:text[]', null);
pg('pg_event_trigger', 3466, 'oid:oid evtname:name evtevent:name evtowner:oid evtfoid:oid evtenabled:char evttags:text[]', null);
pg('pg_db_role_setting', 2964, 'setdatabase:oid setrole:oid setconfig:text[]', null);
pg('pg_auth_members', 1261, 'roleid:oid member:oid grantor:oid admin_option:bool', null);
pg('pg_default_acl', 826, 'oid:oid defaclrole:oid defaclnamespace:oid defaclobjtype:char defaclacl:aclitem[]', null);
pg('pg_conversion', 2607, 'oid:oid conname:name connamespace:oid conowner:oid conforencoding:int4 contoencoding:int4 conproc:oid condefault:bool', null);
pg('pg_cast', 2605, 'oid:oid castsource:oid casttarget:oid castfunc:oid castcontext:char castmethod:char', null);
pg('pg_operator', 2617, 'oid:oid oprname:name oprnamespace:oid oprowner:oid oprkind:char oprcanmerge:bool oprcanhash:bool oprleft:oid oprright:oid oprresult:oid oprcom:oid oprnegate:oid oprcode:oid oprrest:oid oprjoin:oid', null);
pg('pg_opfamily', 2753, 'oid:oid opfmethod:oid opfname:name opfnamespace:oid opfowner:oid', null);
pg('pg_opclass', 2616, 'oid:oid opcmethod:oid opcname:name opcnamespace:oid opcowner:oid opcfamily:oid opcintype:oid opcdefault:bool opckeytype:oid', null);
pg('pg_aggregate', 2600, 'aggfnoid:oid aggkind:char aggnumdirectargs:int2 aggtransfn:oid aggfinalfn:oid aggtranstype:oid agginitval', null);
pg('pg_matviews', 12010, 'schemaname:name matviewname:name matviewowner:name tablespace:name hasindexes:bool ispopulated:bool definition', null, 'v');

pg('pg_tables', 12004, 'schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool', (m) =>
  m.relations
    .filter((r) => r.kind === 'r')
    .map((r) => ({ schemaname: r.schema, tablename: r.name, tableowner: 'postgres', hasindexes: r.hasIndex, hasrules: false, hastriggers: false, rowsecurity: false })),
  'v',
);
pg('pg_views', 12005, 'schemaname:name viewname:name viewowner:name definition', (m) =>
  m.relations.filter((r) => r.kind === 'v').map((r) => ({ schemaname: r.schema, viewname: r.name, viewowner: 'postgres', definition: r.view === undefined ? null : (deparseView(r.view.sql, m.relations, false) ?? r.view.sql) })),
  'v',
);
pg('pg_indexes', 12006, 'schemaname:name tablename:name indexname:name tablespace:name indexdef', (m) =>
  m.indexes.map((i) => ({ schemaname: i.table.schema, tablename: i.table.name, indexname: i.name, indexdef: i.definition })),
  'v',
);

// ---- information_schema ----

const is = (name: string, oid: number, spec: string, rows: (m: CatalogModel) => Row[]) => rel('information_schema', name, oid, 'v', spec, rows);

const userRelations = (m: CatalogModel) => m.relations.filter((r) => r.kind !== 'i');

is('schemata', 13001, 'catalog_name:name schema_name:name schema_owner:name default_character_set_catalog:name default_character_set_schema:name default_character_set_name:name sql_path', (m) =>
  m.namespaces.map((n) => ({ catalog_name: m.databaseName, schema_name: n.name, schema_owner: m.roleName(n.owner) ?? null })),
);

is(
  'tables',
  13002,
  'table_catalog:name table_schema:name table_name:name table_type self_referencing_column_name:name reference_generation ' +
    'user_defined_type_catalog:name user_defined_type_schema:name user_defined_type_name:name is_insertable_into is_typed commit_action',
  (m) =>
    userRelations(m).map((r) => ({
      table_catalog: m.databaseName,
      table_schema: r.schema,
      table_name: r.name,
      table_type: r.kind === 'v' ? 'VIEW' : 'BASE TABLE',
      is_insertable_into: r.kind === 'r' ? 'YES' : 'NO',
      is_typed: 'NO',
    })),
);

/** information_schema's description of a column's type. */
function columnTypeFacts(c: ModelColumn): Row {
  const t = c.type;
  const out: Row = { data_type: formatTypeOid(t.oid, null), udt_name: PG_TYPES.find((x) => x.oid === t.oid)?.typname ?? t.name };
  if (t.oid === 18) out.data_type = '"char"';
  if (t.name === 'array') return { ...out, data_type: 'ARRAY' };
  if (t.name === 'varchar' || t.name === 'bpchar') {
    const n = charLength(t);
    out.character_maximum_length = n >= 0 ? n : null;
    out.character_octet_length = n >= 0 ? n * 4 : 1073741824;
  }
  if (t.name === 'text') out.character_octet_length = 1073741824;
  const bits: Record<string, number> = { int2: 16, int4: 32, int8: 64, float4: 24, float8: 53 };
  if (bits[t.name] !== undefined && t.oid !== 26) {
    out.numeric_precision = bits[t.name];
    out.numeric_precision_radix = 2;
    if (t.name.startsWith('int')) out.numeric_scale = 0;
  }
  if (t.name === 'numeric') {
    out.numeric_precision_radix = 10;
    out.numeric_precision = numericPrecision(t) >= 0 ? numericPrecision(t) : null;
    out.numeric_scale = numericScale(t) >= 0 ? numericScale(t) : null;
  }
  if (t.name === 'date') out.datetime_precision = 0;
  if (t.name === 'timestamp' || t.name === 'timestamptz' || t.name === 'interval') out.datetime_precision = 6;
  return out;
}

is(
  'columns',
  13003,
  'table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4 column_default is_nullable ' +
    'data_type character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4 numeric_precision_radix:int4 ' +
    'numeric_scale:int4 datetime_precision:int4 interval_type interval_precision:int4 character_set_catalog:name ' +
    'character_set_schema:name character_set_name:name collation_catalog:name collation_schema:name collation_name:name ' +
    'domain_catalog:name domain_schema:name domain_name:name udt_catalog:name udt_schema:name udt_name:name scope_catalog:name ' +
    'scope_schema:name scope_name:name maximum_cardinality:int4 dtd_identifier:name is_self_referencing is_identity ' +
    'identity_generation identity_start identity_increment identity_maximum identity_minimum identity_cycle is_generated generation_expression',
  (m) => {
    const out: Row[] = [];
    for (const r of userRelations(m))
      r.columns.forEach((c, i) =>
        out.push({
          table_catalog: m.databaseName,
          table_schema: r.schema,
          table_name: r.name,
          column_name: c.name,
          ordinal_position: i + 1,
          column_default: c.defaultText,
          is_nullable: c.notNull ? 'NO' : 'YES',
          ...columnTypeFacts(c),
          udt_catalog: m.databaseName,
          udt_schema: 'pg_catalog',
          dtd_identifier: String(i + 1),
          is_self_referencing: 'NO',
          ...identityFacts(m, r, i),
          is_generated: 'NEVER',
        }),
      );
    return out;
  },
);

is(
  'table_constraints',
  13004,
  'constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name ' +
    'constraint_type is_deferrable initially_deferred enforced nulls_distinct',
  (m) => {
    const out: Row[] = [];
    for (const r of m.relations) {
      if (r.kind !== 'r' || r.table === undefined) continue;
      const base = { constraint_catalog: m.databaseName, constraint_schema: r.schema, table_catalog: m.databaseName, table_schema: r.schema, table_name: r.name, is_deferrable: 'NO', initially_deferred: 'NO', enforced: 'YES' };
      for (const c of m.constraints.filter((x) => x.table === r))
        out.push({ ...base, constraint_name: c.name, constraint_type: c.type === 'p' ? 'PRIMARY KEY' : c.type === 'u' ? 'UNIQUE' : 'CHECK', nulls_distinct: c.type === 'u' ? 'YES' : null });
      // PostgreSQL lists each NOT NULL column as a CHECK constraint named <nsp oid>_<rel oid>_<attnum>_not_null.
      r.columns.forEach((col, i) => {
        if (col.notNull) out.push({ ...base, constraint_name: `${r.namespaceOid}_${r.oid}_${i + 1}_not_null`, constraint_type: 'CHECK' });
      });
    }
    return out;
  },
);

is(
  'key_column_usage',
  13005,
  'constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name ' +
    'column_name:name ordinal_position:int4 position_in_unique_constraint:int4',
  (m) => {
    const out: Row[] = [];
    for (const c of m.constraints)
      c.keys.forEach((k, i) =>
        out.push({
          constraint_catalog: m.databaseName,
          constraint_schema: c.table.schema,
          constraint_name: c.name,
          table_catalog: m.databaseName,
          table_schema: c.table.schema,
          table_name: c.table.name,
          column_name: c.table.columns[k - 1].name,
          ordinal_position: i + 1,
        }),
      );
    return out;
  },
);

is('views', 13006, 'table_catalog:name table_schema:name table_name:name view_definition check_option is_updatable is_insertable_into is_trigger_updatable is_trigger_deletable is_trigger_insertable_into', (m) =>
  m.relations
    .filter((r) => r.kind === 'v' && r.view !== undefined)
    .map((r) => ({ table_catalog: m.databaseName, table_schema: r.schema, table_name: r.name, view_definition: deparseView(r.view!.sql, m.relations, false) ?? r.view!.sql, check_option: 'NONE', is_trigger_updatable: 'NO', is_trigger_deletable: 'NO', is_trigger_insertable_into: 'NO' })),
);

is(
  'constraint_column_usage',
  13007,
  'table_catalog:name table_schema:name table_name:name column_name:name constraint_catalog:name constraint_schema:name constraint_name:name',
  (m) =>
    m.constraints.flatMap((c) =>
      c.keys.map((k) => ({
        table_catalog: m.databaseName,
        table_schema: c.table.schema,
        table_name: c.table.name,
        column_name: c.table.columns[k - 1].name,
        constraint_catalog: m.databaseName,
        constraint_schema: c.table.schema,
        constraint_name: c.name,
      })),
    ),
);
is('check_constraints', 13008, 'constraint_catalog:name constraint_schema:name constraint_name:name check_clause', (m) => {
  const out: Row[] = [];
  for (const r of m.relations)
    if (r.kind === 'r' && r.table !== undefined)
      r.columns.forEach((col, i) => {
        if (col.notNull)
          out.push({ constraint_catalog: m.databaseName, constraint_schema: r.schema, constraint_name: `${r.namespaceOid}_${r.oid}_${i + 1}_not_null`, check_clause: `${col.name} IS NOT NULL` });
      });
  // CHECK constraints: the expression as written, in PostgreSQL's double parentheses.
  for (const c of m.constraints)
    if (c.type === 'c') out.push({ constraint_catalog: m.databaseName, constraint_schema: c.table.schema, constraint_name: c.name, check_clause: `(${c.definition.replace(/^CHECK /, '')})` });
  return out;
});
const isEmpty = (name: string, oid: number, spec: string) => rel('information_schema', name, oid, 'v', spec, null);
isEmpty(
  'referential_constraints',
  13009,
  'constraint_catalog:name constraint_schema:name constraint_name:name unique_constraint_catalog:name unique_constraint_schema:name unique_constraint_name:name match_option update_rule delete_rule',
);
isEmpty(
  'sequences',
  13010,
  'sequence_catalog:name sequence_schema:name sequence_name:name data_type numeric_precision:int4 numeric_precision_radix:int4 numeric_scale:int4 start_value minimum_value maximum_value increment cycle_option',
);
isEmpty(
  'triggers',
  13011,
  'trigger_catalog:name trigger_schema:name trigger_name:name event_manipulation event_object_catalog:name event_object_schema:name event_object_table:name action_order:int4 action_condition action_statement action_orientation action_timing',
);

pg(
  'pg_stat_activity',
  12020,
  'datid:oid datname:name pid:int4 leader_pid:int4 usesysid:oid usename:name application_name client_addr client_hostname client_port:int4 backend_start:timestamptz xact_start:timestamptz query_start:timestamptz state_change:timestamptz wait_event_type wait_event state backend_xid:int8 backend_xmin:int8 query_id:int8 query backend_type',
  // Only this session is known to the binder.
  (m) => [{ datid: Oids.database, datname: m.databaseName, pid: m.ctx.processId, usesysid: Oids.postgres, usename: m.ctx.sessionUser, application_name: '', state: 'active', backend_type: 'client backend' }],
  'v',
);

pg('pg_available_extensions', 12021, 'name:name default_version installed_version comment', null, 'v');
pg(
  'pg_stat_user_tables',
  12022,
  'relid:oid schemaname:name relname:name seq_scan:int8 seq_tup_read:int8 idx_scan:int8 idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8 n_tup_hot_upd:int8 n_live_tup:int8 n_dead_tup:int8',
  // Only the live row counts are known; the activity counters are not kept.
  (m) =>
    m.relations
      .filter((r) => r.kind === 'r' && r.table !== undefined)
      .map((r) => ({ relid: r.oid, schemaname: r.schema, relname: r.name, n_live_tup: m.ctx.tableRowCount(r.table!.id), n_dead_tup: 0 })),
  'v',
);

export const SYSTEM_RELATIONS: readonly SystemRelation[] = RELATIONS;

/** The system relation `schema.name` (schema null: pg_catalog only, as the implicit head of search_path). */
export function findSystemRelation(schema: string | null, name: string): SystemRelation | undefined {
  return RELATIONS.find((r) => r.name === name && r.schema === (schema ?? 'pg_catalog'));
}

export function rowValues(r: SystemRelation, row: Row): Scalar[] {
  return r.columns.map((c) => row[c.name] ?? null);
}

export type { ModelRelation };

/** information_schema.columns identity facts: from the column's identity kind and its owned sequence. */
function identityFacts(m: CatalogModel, r: ModelRelation, attr: number): Row {
  const kind = r.columns[attr].identity;
  if (r.table === undefined || (kind !== 'a' && kind !== 'd')) return { is_identity: 'NO', identity_cycle: 'NO' };
  const seq = m.ctx.catalog.sequences().find((q) => q.ownedBy?.tableId === r.table!.id && q.ownedBy.column === attr);
  return {
    is_identity: 'YES',
    identity_generation: kind === 'a' ? 'ALWAYS' : 'BY DEFAULT',
    identity_start: seq?.start ?? null,
    identity_increment: seq?.increment ?? null,
    identity_maximum: seq?.max ?? null,
    identity_minimum: seq?.min ?? null,
    identity_cycle: seq?.cycle === true ? 'YES' : 'NO',
  };
}
