// Storage: catalog and tables as column chunks in LMDB (or memory), read through the buffer pool.
// May import: types, buffer. Upper layers use the contracts in api.ts.
import { Storage, StorageOptions } from './api';
import { TableStore } from './table-store';

export * from './api';

export function openStorage(options: StorageOptions): Promise<Storage> {
  return TableStore.open(options);
}
