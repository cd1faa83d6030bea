// The generator's units of work: a table family (one table, or a parent with its child table) and
// a range of its rows. Rows of a family can be generated in any order and split anywhere, because
// each row's random draws depend only on its number.
import { generateCustomers } from './customer';
import { generateNations, generateRegions } from './nation-region';
import { generateOrders } from './orders';
import { generateParts } from './part';
import { Scale } from './scale';
import { generateSuppliers } from './supplier';
import { RowWriter } from './writer';

export const FAMILIES = ['nation', 'region', 'supplier', 'customer', 'part', 'orders'] as const;
export type Family = (typeof FAMILIES)[number];

/** The tables a family writes, in the order its writers are passed. */
export const FAMILY_TABLES: Record<Family, readonly string[]> = {
  nation: ['nation'],
  region: ['region'],
  supplier: ['supplier'],
  customer: ['customer'],
  part: ['part', 'partsupp'],
  orders: ['orders', 'lineitem'],
};

/** Number of generator rows (parts, orders, ...) in a family. */
export function familyRows(family: Family, scale: Scale): number {
  switch (family) {
    case 'nation':
      return 25;
    case 'region':
      return 5;
    case 'supplier':
      return scale.supplier;
    case 'customer':
      return scale.customer;
    case 'part':
      return scale.part;
    case 'orders':
      return scale.orders;
  }
}

/** Generates rows first..first+count-1 (1-based) of a family into its writers. */
export function generateRange(family: Family, scale: Scale, pool: Uint8Array, first: number, count: number, out: RowWriter[]): void {
  switch (family) {
    case 'nation':
      return generateNations(out[0], pool);
    case 'region':
      return generateRegions(out[0], pool);
    case 'supplier':
      return generateSuppliers(out[0], pool, scale, first, count);
    case 'customer':
      return generateCustomers(out[0], pool, scale, first, count);
    case 'part':
      return generateParts(out[0], out[1], pool, scale, first, count);
    case 'orders':
      return generateOrders(out[0], out[1], pool, scale, first, count);
  }
}
