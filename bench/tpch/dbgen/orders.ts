// ORDERS and their LINEITEMs (clause 4.2.3), generated together: an order's status and total price
// come from its lines. Order keys are sparse: of every 32 keys only the first 8 are used.
import { DATES, TextColumn, latin1, partSupplier, retailPrice } from './common';
import { instructions, priorities, returnFlags, shipModes } from './dists';
import { S, Streams, T } from './random';
import { Scale } from './scale';
import { RowWriter } from './writer';

const CLERK = latin1('Clerk#');
const orderComment = new TextColumn(49, S.O_CMNT);
const lineComment = new TextColumn(27, S.L_CMNT);
/** Day number of 1995-06-17, the "current date" that splits shipped from open lines. */
const CURRENT_DAY = 1263;
const LAST_ORDER_DAY = 2557 - (121 + 30) - 1;
const F = 0x46;
const O = 0x4f;
const P = 0x50;
const N = 0x4e;

export function generateOrders(orders: RowWriter, lineitem: RowWriter, pool: Uint8Array, scale: Scale, first: number, count: number): void {
  const rng = new Streams([T.ORDER, T.LINE], first);
  const customers = scale.customer;
  for (let index = first; index < first + count; index++) {
    const orderKey = Math.floor(index / 8) * 32 + (index % 8);
    let customer = rng.int(1, customers, S.O_CKEY);
    // Every third customer places no orders.
    let delta = 1;
    while (customer % 3 === 0) {
      customer = Math.min(customer + delta, customers);
      delta = -delta;
    }
    const orderDay = rng.int(0, LAST_ORDER_DAY, S.O_ODATE);
    const priority = priorities.pick(rng, S.O_PRIO);
    const clerk = rng.int(1, scale.clerks, S.O_CLRK);
    const lines = rng.int(1, 7, S.O_LCNT);

    lineitem.reserve();
    let total = 0;
    let shipped = 0;
    for (let line = 0; line < lines; line++) {
      const qty = rng.int(1, 50, S.L_QTY);
      const disc = rng.int(0, 10, S.L_DCNT);
      const tx = rng.int(0, 8, S.L_TAX);
      const instruct = instructions.pick(rng, S.L_SHIP);
      const mode = shipModes.pick(rng, S.L_SMODE);
      const partKey = rng.int(1, scale.part, S.L_PKEY);
      const supply = rng.int(0, 3, S.L_SKEY);
      const price = retailPrice(partKey) * qty;
      total += Math.floor((Math.floor((price * (100 - disc)) / 100) * (100 + tx)) / 100);
      const shipDay = orderDay + rng.int(1, 121, S.L_SDTE);
      const commitDay = orderDay + rng.int(30, 90, S.L_CDTE);
      const receiptDay = shipDay + rng.int(1, 30, S.L_RDTE);

      lineitem.int(orderKey);
      lineitem.int(partKey);
      lineitem.int(partSupplier(partKey, supply, scale.supplier));
      lineitem.int(line + 1);
      lineitem.int(qty);
      lineitem.money(price);
      lineitem.money(disc);
      lineitem.money(tx);
      lineitem.char(receiptDay <= CURRENT_DAY ? returnFlags.bytes[returnFlags.pick(rng, S.L_RFLG)][0] : N);
      if (shipDay <= CURRENT_DAY) shipped++;
      lineitem.char(shipDay <= CURRENT_DAY ? F : O);
      lineitem.field(DATES[shipDay]);
      lineitem.field(DATES[commitDay]);
      lineitem.field(DATES[receiptDay]);
      lineitem.field(instructions.bytes[instruct]);
      lineitem.field(shipModes.bytes[mode]);
      lineComment.write(lineitem, rng, pool);
      lineitem.endRow();
    }

    orders.reserve();
    orders.int(orderKey);
    orders.int(customer);
    orders.char(shipped === lines ? F : shipped > 0 ? P : O);
    orders.money(total);
    orders.field(DATES[orderDay]);
    orders.field(priorities.bytes[priority]);
    orders.bytes(CLERK);
    orders.padded(clerk, 9);
    orders.raw(0x7c);
    orders.int(0);
    orderComment.write(orders, rng, pool);
    orders.endRow();
    rng.endRow();
  }
}
