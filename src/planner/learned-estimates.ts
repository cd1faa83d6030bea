// Wires the learned cardinality model into join ordering: every subset of relations the enumerator
// costs is featurized and estimated by the model ('on': the join order is chosen with the learned
// rows and the calibrated cost constants; 'shadow': the classic plan, with the learned estimate
// only recorded on the plan for EXPLAIN). Nodes that are built get their features attached, so
// their true rows become training samples once the query has run.
import { MlPlanChoice, PlanNode } from '../plan/plan';
import { CardinalityModel } from '../ml/learned-optimizer';
import { EdgeInfo, RelationInfo, SubplanFeaturizer } from '../ml/featurize';
import { CALIBRATED_JOIN_COSTS } from '../ml/cost-model';
import { JoinGraph, JoinTree, orderJoins } from './join-order';

/**
 * The learned join order replaces the classic one only when, by the learned estimates and costs,
 * it is at least this much cheaper: small estimated gains are within the model's error and not
 * worth a plan change (the end-to-end target is never being slower than classic).
 */
const SWITCH_GAIN = 0.8;

export interface LearnedJoinEstimates {
  /** The join order: the learned one when clearly cheaper than the classic one, else the classic one. */
  order(): JoinTree;
  /** Attaches the subplan's features and both estimates to the node joining the relations in mask. */
  annotate(plan: PlanNode, mask: number): void;
  /** Marks the join problem's top node when its order was a learned-vs-classic choice (its time is fed back). */
  markChoice(top: PlanNode): void;
}

export function learnedJoinEstimates(model: CardinalityModel, graph: JoinGraph, relations: RelationInfo[], edges: EdgeInfo[]): LearnedJoinEstimates {
  const featurizer = new SubplanFeaturizer(relations, edges);
  const memo = new Map<number, { features: Float64Array | null; learned: number | null }>();
  const estimate = (mask: number, classic: number) => {
    let e = memo.get(mask);
    if (e === undefined) {
      const features = featurizer.features(mask, classic);
      e = { features, learned: features === null ? null : model.predict(features, classic) };
      memo.set(mask, e);
    }
    return e;
  };
  // Untrained or untrusted: the classic estimates and costs, exactly the classic plan.
  if (model.mode === 'on' && model.ready) {
    graph.refine = (mask, classic) => estimate(mask, classic).learned ?? classic;
    graph.costs = CALIBRATED_JOIN_COSTS;
  }
  const active = model.mode === 'on' && model.ready;
  let choice: MlPlanChoice | null = null;
  return {
    order() {
      if (!active) return orderJoins(graph);
      const learnedTree = orderJoins(graph);
      graph.refine = null;
      graph.costs = null;
      const classicTree = orderJoins(graph);
      graph.refine = (mask, classic) => estimate(mask, classic).learned ?? classic;
      graph.costs = CALIBRATED_JOIN_COSTS;
      const classicPlan = () => {
        // The classic rows from here on too: the build sides of the joins follow them, so the plan is the classic one.
        graph.refine = null;
        graph.costs = null;
        return classicTree;
      };
      if (sameTree(learnedTree, classicTree) || treeCost(graph, learnedTree) >= SWITCH_GAIN * treeCost(graph, classicTree)) return classicPlan();
      // Estimated clearly cheaper: measured times of both orders decide (the model may be wrong,
      // and the cost model does not see runtime filters).
      const signature = joinSignature(relations, edges);
      choice = { signature, learned: model.useLearnedOrder(signature) };
      return choice.learned ? learnedTree : classicPlan();
    },
    markChoice(top) {
      if (choice !== null) top.mlChoice = choice;
    },
    annotate(plan, mask) {
      const classic = graph.classicRows(mask);
      const e = estimate(mask, classic);
      if (e.features !== null) plan.ml = { features: e.features, classicRows: classic, learnedRows: e.learned };
    },
  };
}

function sameTree(a: JoinTree, b: JoinTree): boolean {
  if ('leaf' in a || 'leaf' in b) return 'leaf' in a && 'leaf' in b && a.leaf === b.leaf;
  return (sameTree(a.left, b.left) && sameTree(a.right, b.right)) || (sameTree(a.left, b.right) && sameTree(a.right, b.left));
}

/** A join problem's identity for plan feedback: its tables, their predicates (constants included) and join edges. */
function joinSignature(relations: RelationInfo[], edges: EdgeInfo[]): string {
  const rel = relations.map((r) => [r.key, r.predicates.map((p) => p.expr)]);
  return JSON.stringify([rel, edges.map((e) => [e.a, e.b, e.columnA, e.columnB])], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function treeCost(g: JoinGraph, t: JoinTree): number {
  if ('leaf' in t) return 0;
  return treeCost(g, t.left) + treeCost(g, t.right) + g.joinCost(t.left.mask, t.right.mask);
}
