// tessera_ml_model(): the learned optimizer's state — model version (training rounds), samples
// kept and seen, whether the planner trusts it, held-out mean squared log error of the learned and
// the classic estimate, and the median q-error of both over the most recent executed subplans.
// Also reachable as the relation tessera_ml_model. One row, read when the statement is bound.
import { PlanNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar } from '../types/vector';
import type { BindContext } from './bind-context';

export const ML_MODEL_FUNCTION = 'tessera_ml_model';

const COLUMNS: { name: string; type: DataType }[] = [
  { name: 'version', type: Types.int8 },
  { name: 'samples', type: Types.int8 },
  { name: 'samples_seen', type: Types.int8 },
  { name: 'trusted', type: Types.bool },
  { name: 'training', type: Types.bool },
  { name: 'validation_mse_learned', type: Types.float8 },
  { name: 'validation_mse_classic', type: Types.float8 },
  { name: 'recent_qerror_learned', type: Types.float8 },
  { name: 'recent_qerror_classic', type: Types.float8 },
  { name: 'recent_subplans', type: Types.int8 },
];

export function isMlModelRelation(schema: string | undefined, name: string): boolean {
  return name === ML_MODEL_FUNCTION && (schema === undefined || schema === 'pg_catalog');
}

export function bindMlModel(ctx: BindContext, argCount: number): PlanNode {
  if (argCount > 0) throw new SqlError(SqlState.undefinedFunction, `function ${ML_MODEL_FUNCTION} with ${argCount} argument(s) does not exist`, { hint: 'It takes no arguments.' });
  const s = ctx.mlModelStatus?.();
  const values: Scalar[] =
    s === undefined
      ? [0, 0, 0, false, false, null, null, null, null, 0]
      : [s.version, s.samples, s.samplesSeen, s.trusted, s.training, s.validationLearned, s.validationClassic, s.recentLearnedQError, s.recentClassicQError, s.recentCount];
  const row = values.map((value, i) => ({ kind: 'const' as const, value, type: COLUMNS[i].type }));
  return { kind: 'values', rows: [row], output: COLUMNS.map((c) => ({ name: c.name, type: c.type })), estimatedRows: 1 };
}
