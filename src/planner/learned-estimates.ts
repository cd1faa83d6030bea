// Wires the learned cardinality model into join ordering: every subset of relations the enumerator
// costs is featurized and estimated by the model ('on': the join order is chosen with the learned
// rows and the calibrated cost constants; 'shadow': the classic plan, with the learned estimate
// only recorded on the plan for EXPLAIN). Nodes that are built get their features attached, so
// their true rows become training samples once the query has run.
import { PlanNode } from '../plan/plan';
import { CardinalityModel } from '../ml/learned-optimizer';
import { EdgeInfo, RelationInfo, SubplanFeaturizer } from '../ml/featurize';
import { CALIBRATED_JOIN_COSTS } from '../ml/cost-model';
import { JoinGraph } from './join-order';

export interface LearnedJoinEstimates {
  /** Attaches the subplan's features and both estimates to the node joining the relations in mask. */
  annotate(plan: PlanNode, mask: number): void;
}

export function learnedJoinEstimates(model: CardinalityModel, graph: JoinGraph, relations: RelationInfo[], edges: EdgeInfo[]): LearnedJoinEstimates {
  const featurizer = new SubplanFeaturizer(relations, edges);
  const memo = new Map<number, { features: Float64Array; learned: number | null }>();
  const estimate = (mask: number, classic: number) => {
    let e = memo.get(mask);
    if (e === undefined) {
      const features = featurizer.features(mask, classic);
      e = { features, learned: model.predict(features, classic) };
      memo.set(mask, e);
    }
    return e;
  };
  // Untrained or untrusted: the classic estimates and costs, exactly the classic plan.
  if (model.mode === 'on' && model.ready) {
    graph.refine = (mask, classic) => estimate(mask, classic).learned ?? classic;
    graph.costs = CALIBRATED_JOIN_COSTS;
  }
  return {
    annotate(plan, mask) {
      const classic = graph.classicRows(mask);
      const e = estimate(mask, classic);
      plan.ml = { features: e.features, classicRows: classic, learnedRows: e.learned };
    },
  };
}
