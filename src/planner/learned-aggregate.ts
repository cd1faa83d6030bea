// The learned optimizer's view of an aggregation's output: a GROUP BY over a subplan the join
// planner featurized (its top join or scan, under column-order projections) gets that subplan's
// vector plus a group-by row (keys, their distinct counts, the classic groups; featurize.ts
// groupFeatures). Its true groups, counted when the query runs, become a training sample; EXPLAIN
// shows the learned estimate beside the classic one. Planning keeps the classic estimate.
import { AggregateNode, PlanNode } from '../plan/plan';
import { CardinalityModel } from '../ml/learned-optimizer';
import { groupFeatures } from '../ml/featurize';
import { StatsLookup, groupCount, relationStats } from './relation-stats';

/** The node under pass-through projections that carries the learned features, or null. */
function featurized(plan: PlanNode): PlanNode | null {
  let p = plan;
  while (p.ml === undefined && p.kind === 'project' && p.exprs.every((e) => e.kind === 'column')) p = p.input;
  return p.ml === undefined ? null : p;
}

export function annotateAggregate(agg: AggregateNode, lookup: StatsLookup, model: CardinalityModel | undefined): void {
  if (model === undefined || model.mode === 'off' || agg.groupBy.length === 0) return;
  const under = featurized(agg.input);
  if (under === null || under.ml === undefined) return;
  const input = relationStats(agg.input, lookup);
  const groups = groupCount(agg.groupBy, input);
  const keyDistinct: number[] = [];
  for (const e of agg.groupBy) {
    const s = e.kind === 'column' ? input.columns[e.index] : null;
    if (s !== null && s !== undefined) keyDistinct.push(s.distinct);
  }
  const features = groupFeatures(under.ml.features, under.ml.classicRows, { keys: agg.groupBy.length, groups, inputRows: input.rows, keyDistinct });
  if (features === null) return;
  agg.ml = { features, classicRows: groups, learnedRows: model.predict(features, groups) };
}
