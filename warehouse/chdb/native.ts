// chDB's engine is a native library of several hundred megabytes (~150 ms of every start to
// load): loaded when the warehouse first needs it.
import { onFirstUse } from '../../core/load-on-first-use.js';

export const chdb = onFirstUse<typeof import('chdb')>('chdb');
export const chdbConnection = onFirstUse<typeof import('chdb/connection')>('chdb/connection');
