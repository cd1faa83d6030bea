// Turns engine results into node-postgres-shaped results: rows as objects (or arrays with
// rowMode 'array'), fields with OIDs, and values typed as pg's default type parsers type them
// (int8 and numeric as strings, dates as Date in local time, timestamptz as the instant).
import { DataType } from '../types/data-type';
import { Batch, Vector } from '../types/vector';
import { FormatSettings, formatCell } from '../types/text-format';
import { elementValue, parseArrayLiteral } from '../types/array-text';
import { vectorFromScalars } from '../types/vector-ops';
import { civilFromDays } from '../types/datetime';
import { Field } from '../engine/session-api';

export interface FieldDef {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: 'text';
}

export interface QueryResult<R = any> {
  command: string;
  rowCount: number | null;
  rows: R[];
  fields: FieldDef[];
}

export interface ResultOptions {
  rowMode?: 'array' | 'object';
  /** 'pg' (default): types as node-postgres's defaults; 'text': every value as PostgreSQL's text. */
  types?: 'pg' | 'text';
}

export function fieldDefs(fields: Field[]): FieldDef[] {
  return fields.map((f) => ({
    name: f.name,
    tableID: f.tableOid,
    columnID: f.columnAttr,
    dataTypeID: f.type.oid,
    dataTypeSize: f.type.typlen,
    dataTypeModifier: f.type.typmod,
    format: 'text',
  }));
}

/** "INSERT 0 3" → command INSERT, rowCount 3 (as pg parses CommandComplete). */
export function splitCommandTag(tag: string): { command: string; rowCount: number | null } {
  const parts = tag.split(' ');
  const last = Number(parts[parts.length - 1]);
  return { command: parts[0], rowCount: parts.length > 1 && Number.isFinite(last) ? last : null };
}

const MICROS_PER_MS = 1000;

/** One cell as node-postgres would hand it to the application. */
function pgValue(v: Vector, row: number, type: DataType, fs: FormatSettings): unknown {
  if (v.nulls !== null && v.nulls[row] === 1) return null;
  switch (type.name) {
    case 'bool':
      return (v as { values: Uint8Array }).values[row] === 1;
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
      return (v as { values: ArrayLike<number> }).values[row];
    case 'date': {
      // pg parses a date into local midnight of that day.
      const { year, month, day } = civilFromDays((v as { values: Int32Array }).values[row]);
      const d = new Date(year, month - 1, day);
      if (year < 100) d.setFullYear(year);
      return d;
    }
    case 'timestamp': {
      // timestamp without time zone is read as local time by pg.
      const micros = (v as { values: Float64Array }).values[row];
      const utc = new Date(Math.floor(micros / MICROS_PER_MS));
      return new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds(), utc.getUTCMilliseconds());
    }
    case 'timestamptz':
      return new Date(Math.floor((v as { values: Float64Array }).values[row] / MICROS_PER_MS));
    case 'bytea': {
      // pg hands bytea over as a Buffer; the vector keeps one char code per byte.
      const s = v as { codes: Int32Array; dict: string[] };
      return Buffer.from(s.dict[s.codes[row]], 'latin1');
    }
    case 'json':
    case 'jsonb':
      return JSON.parse(formatCell(v, row, fs)!);
    case 'array': {
      // As pg's array parsers: nested JS arrays of the elements converted as single values
      // (numeric elements become numbers, as pg's parseFloatArray does).
      const a = parseArrayLiteral((v as { codes: Int32Array; dict: string[] }).dict[(v as { codes: Int32Array }).codes[row]]);
      const elem = type.elem!;
      const values = a.items.map((item) => {
        if (item === null) return null;
        const x = pgValue(vectorFromScalars(elem, [elementValue(elem, item)]), 0, elem, fs);
        return elem.name === 'numeric' ? parseFloat(x as string) : x;
      });
      let pos = 0;
      const nest = (depth: number): unknown[] => {
        const out: unknown[] = [];
        for (let k = 0; k < a.dims[depth]; k++) out.push(depth === a.dims.length - 1 ? values[pos++] : nest(depth + 1));
        return out;
      };
      return a.dims.length === 0 ? [] : nest(0);
    }
    default:
      // int8 and numeric stay strings (exactness), text types are strings, interval as its text.
      return formatCell(v, row, fs);
  }
}

export function buildRows(batches: Batch[], fields: Field[], fs: FormatSettings, options: ResultOptions): unknown[] {
  const rows: unknown[] = [];
  const asArray = options.rowMode === 'array';
  const text = options.types === 'text';
  for (const batch of batches) {
    for (let r = 0; r < batch.length; r++) {
      const row = batch.selection !== undefined ? batch.selection[r] : r;
      const values = batch.columns.map((col, c) => (text ? formatCell(col, row, fs) : pgValue(col, row, fields[c].type, fs)));
      if (asArray) rows.push(values);
      else {
        const obj: Record<string, unknown> = {};
        fields.forEach((f, c) => (obj[f.name] = values[c]));
        rows.push(obj);
      }
    }
  }
  return rows;
}
